// multipart/form-data (console_multipart.h). Written for hostile input: every search is bounded by the body
// (a Boyer-Moore-Horspool search for the delimiter, so a body of near-delimiters costs linear time, not
// body × boundary), every count and size is checked before it grows, and nothing from the body is copied
// into an error message.

#include "console_multipart.h"

#include <algorithm>
#include <functional>
#include <optional>
#include <utility>

#include <inkan/core/error.h>
#include <inkan/http/message.h>

namespace inkan::api::detail {

namespace {

[[noreturn]] void bad(std::string_view why) {
    throw Error{Errc::InvalidRequest, "multipart/form-data: " + std::string{why}};
}

constexpr std::string_view kCrlf = "\r\n";

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return s;
}

bool is_tchar(char c) {
    // RFC 9110 §5.6.2 token characters.
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::string_view{"!#$%&'*+-.^_`|~"}.find(c) != std::string_view::npos;
}

/// `; name=value` parameters after a media type or disposition type (RFC 9110 §5.6.6), values as tokens
/// or quoted strings (backslash escapes undone). Names lower-cased; a repeated name is malformed (two
/// different field names or boundaries: which one would be meant?).
std::vector<std::pair<std::string, std::string>> parameters(std::string_view s) {
    std::vector<std::pair<std::string, std::string>> out;
    std::size_t i = 0;
    const auto skip_space = [&] {
        while (i < s.size() && is_space(s[i])) {
            ++i;
        }
    };
    while (true) {
        skip_space();
        if (i == s.size()) {
            return out;
        }
        if (s[i] != ';') {
            bad("a malformed header parameter");
        }
        ++i;
        skip_space();
        if (i == s.size()) {
            return out;  // a trailing ';' is common enough to allow
        }
        std::string name;
        while (i < s.size() && is_tchar(s[i])) {
            name += static_cast<char>(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
            ++i;
        }
        skip_space();
        if (name.empty() || i == s.size() || s[i] != '=') {
            bad("a malformed header parameter");
        }
        ++i;
        skip_space();
        std::string value;
        if (i < s.size() && s[i] == '"') {
            ++i;
            bool closed = false;
            while (i < s.size()) {
                const char c = s[i++];
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\') {
                    if (i == s.size()) {
                        break;
                    }
                    value += s[i++];
                } else {
                    value += c;
                }
            }
            if (!closed) {
                bad("an unterminated quoted header parameter");
            }
        } else {
            while (i < s.size() && is_tchar(s[i])) {
                value += s[i++];
            }
            if (value.empty()) {
                bad("a header parameter without a value");
            }
        }
        for (const auto& [n, v] : out) {
            if (n == name) {
                bad("a repeated header parameter");
            }
        }
        out.emplace_back(std::move(name), std::move(value));
    }
}

/// The type before the first ';' (lower-cased) and the rest.
std::pair<std::string, std::string_view> split_type(std::string_view value) {
    const auto semi = value.find(';');
    const std::string_view type = trim(value.substr(0, semi));
    std::string lower{type};
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return {lower, semi == std::string_view::npos ? std::string_view{} : value.substr(semi)};
}

bool is_bchar(char c) {
    // RFC 2046 §5.1.1 bchars (space allowed, but not last).
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return true;
    }
    return std::string_view{"'()+_,-./:=? "}.find(c) != std::string_view::npos;
}

/// One part's header block (without the blank line) into `part`.
void read_headers(std::string_view block, MultipartPart& part) {
    bool disposition = false;
    bool type = false;
    while (!block.empty()) {
        const auto eol = block.find(kCrlf);
        const std::string_view line = block.substr(0, eol);
        block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
        if (line.empty() || is_space(line.front())) {
            bad("an empty or folded part header line");  // obs-fold is gone (RFC 9112 §5.2)
        }
        const auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 ||
            !std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon), is_tchar)) {
            bad("a malformed part header line");
        }
        if (line.find('\r') != std::string_view::npos || line.find('\n') != std::string_view::npos ||
            line.find('\0') != std::string_view::npos) {
            bad("a control character in a part header");
        }
        const std::string_view name = line.substr(0, colon);
        const std::string_view value = trim(line.substr(colon + 1));
        if (http::iequals(name, "Content-Disposition")) {
            if (disposition) {
                bad("a part with two Content-Disposition headers");
            }
            disposition = true;
            const auto [kind, rest] = split_type(value);
            if (kind != "form-data") {
                bad("a part that is not form-data");
            }
            bool has_name = false;
            for (auto& [k, v] : parameters(rest)) {
                if (k == "name") {
                    has_name = true;
                    part.name = std::move(v);
                } else if (k == "filename") {
                    part.is_file = true;
                    part.filename = std::move(v);
                }
                // filename* (RFC 7578 §4.2: not to be used) and unknown parameters are ignored.
            }
            if (!has_name || part.name.empty()) {
                bad("a part without a field name");
            }
        } else if (http::iequals(name, "Content-Type")) {
            if (type) {
                bad("a part with two Content-Type headers");
            }
            type = true;
            part.content_type = std::string{value};
        }
        // Other headers (Content-Transfer-Encoding, deprecated by RFC 7578 §4.7) change nothing.
    }
    if (!disposition) {
        bad("a part without Content-Disposition");
    }
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
    const auto [type, rest] = split_type(content_type);
    if (type != "multipart/form-data") {
        bad("the body is not multipart/form-data");
    }
    std::optional<std::string> boundary;
    for (auto& [k, v] : parameters(rest)) {
        if (k == "boundary") {
            boundary = std::move(v);
        }
    }
    if (!boundary || boundary->empty() || boundary->size() > 70 ||
        !std::all_of(boundary->begin(), boundary->end(), is_bchar) || boundary->back() == ' ') {
        bad("a missing or malformed boundary");
    }
    return std::move(*boundary);
}

std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary,
                                           const MultipartLimits& limits) {
    if (boundary.empty() || boundary.size() > 70) {
        bad("a missing or malformed boundary");
    }
    // Every delimiter after the first is CRLF "--" boundary (RFC 2046 §5.1.1: the CRLF belongs to it).
    const std::string delimiter = "\r\n--" + std::string{boundary};
    const std::boyer_moore_horspool_searcher search{delimiter.begin(), delimiter.end()};
    const auto find = [&](std::size_t from) -> std::size_t {
        const auto it = std::search(body.begin() + static_cast<std::ptrdiff_t>(from), body.end(), search);
        return it == body.end() ? std::string_view::npos : static_cast<std::size_t>(it - body.begin());
    };
    // The first delimiter: at the very start (what browsers send), or after a preamble and its CRLF.
    std::size_t pos = 0;
    if (body.substr(0, delimiter.size() - 2) == std::string_view{delimiter}.substr(2)) {
        pos = delimiter.size() - 2;
    } else {
        const auto at = find(0);
        if (at == std::string_view::npos) {
            bad("no boundary delimiter");
        }
        pos = at + delimiter.size();
    }
    std::vector<MultipartPart> parts;
    while (true) {
        // After a delimiter: "--" closes the body; otherwise transport padding (LWSP) and CRLF.
        if (body.substr(pos, 2) == "--") {
            return parts;  // an epilogue may follow and is ignored
        }
        while (pos < body.size() && is_space(body[pos])) {
            ++pos;
        }
        if (body.substr(pos, 2) != kCrlf) {
            bad("a boundary delimiter not followed by CRLF");
        }
        pos += 2;
        if (parts.size() == limits.max_parts) {
            bad("too many parts");
        }
        MultipartPart part;
        // A part may have no headers at all ("\r\n" at once), which then lacks Content-Disposition.
        const std::string_view rest = body.substr(pos);
        std::size_t header_end = 0;
        if (rest.substr(0, 2) == kCrlf) {
            header_end = 0;
        } else {
            header_end = rest.substr(0, limits.max_header_bytes + 4).find("\r\n\r\n");
            if (header_end == std::string_view::npos) {
                bad(rest.size() > limits.max_header_bytes ? "a part's headers are too long"
                                                          : "a part's headers do not end");
            }
            if (header_end > limits.max_header_bytes) {
                bad("a part's headers are too long");
            }
            header_end += 2;  // the block keeps no trailing CRLF; the blank line follows
        }
        read_headers(rest.substr(0, header_end == 0 ? 0 : header_end - 2), part);
        const std::size_t content_start = pos + header_end + 2;
        const std::size_t next = find(content_start);
        if (next == std::string_view::npos) {
            bad("the close delimiter is missing");
        }
        const std::size_t size = next - content_start;
        if (!part.is_file && size > limits.max_field_bytes) {
            bad("a form field is too long");
        }
        part.body = std::string{body.substr(content_start, size)};
        parts.push_back(std::move(part));
        pos = next + delimiter.size();
    }
}

}  // namespace inkan::api::detail
