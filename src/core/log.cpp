#include <unistd.h>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <mutex>
#include <utility>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>

namespace inkan::log {

namespace {

/// Writes the line and its '\n' with as few write(2) calls as the kernel allows (one, for any
/// line shorter than a pipe buffer), straight to fd 2: iostreams would buffer and might split it.
void write_stderr(std::string_view line) {
    std::string buffer;
    buffer.reserve(line.size() + 1);
    buffer.append(line);
    buffer += '\n';
    const char* p = buffer.data();
    std::size_t left = buffer.size();
    while (left > 0) {
        const ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;  // nowhere left to report a failure to log
        }
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

/// Process-wide state. The sink is called under `mutex`, which is what keeps lines whole whatever
/// the sink does (a consequence: a sink must not log).
struct State {
    std::atomic<Level> level{Level::Info};
    std::mutex mutex;
    Sink sink{write_stderr};
};

State& state() {
    // Never destroyed: threads may still log while static destructors run at exit.
    static State* const s = new State;
    return *s;
}

/// A context field with its own copies of the strings.
struct OwnedField {
    std::string key;
    std::variant<std::string, std::int64_t, double, bool> value;
};

std::vector<OwnedField>& context() {
    thread_local std::vector<OwnedField> fields;
    return fields;
}

std::string_view level_name(Level level) noexcept {
    switch (level) {
        case Level::Debug:
            return "debug";
        case Level::Info:
            return "info";
        case Level::Warn:
            return "warn";
        case Level::Error:
            return "error";
    }
    return "unknown";
}

void append_string(std::string& out, std::string_view s) {
    out += '"';
    append_json_escaped(out, s);
    out += '"';
}

void append_value(std::string& out, std::string_view s) {
    append_string(out, s);
}

void append_value(std::string& out, std::int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_value(std::string& out, double v) {
    // RFC 8259 §6: "Numeric values that cannot be represented in the grammar below (such as
    // Infinity and NaN) are not permitted."
    if (!std::isfinite(v)) {
        out += "null";
        return;
    }
    // Shortest text that reads back as the same double; its exponent form ("1e+300") is valid JSON.
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
}

void append_value(std::string& out, bool v) {
    out += v ? "true" : "false";
}

void append_field(std::string& out, std::string_view key, const auto& value) {
    out += ',';
    append_string(out, key);
    out += ':';
    std::visit([&out](const auto& v) { append_value(out, v); }, value);
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

void set_level(Level level) {
    state().level.store(level, std::memory_order_relaxed);
}

Level level() {
    return state().level.load(std::memory_order_relaxed);
}

Level parse_level(std::string_view name) {
    for (const Level l : {Level::Debug, Level::Info, Level::Warn, Level::Error}) {
        if (name == level_name(l)) {
            return l;
        }
    }
    throw Error{Errc::InvalidConfig, "log level must be one of debug, info, warn, error"};
}

Sink set_sink(Sink sink) {
    // An empty sink means "back to stderr": losing every log line is never what a caller wants.
    if (!sink) {
        sink = write_stderr;
    }
    State& s = state();
    const std::lock_guard lock{s.mutex};
    return std::exchange(s.sink, std::move(sink));
}

void write(Level level, std::string_view msg, std::initializer_list<Field> fields) {
    State& s = state();
    if (level < s.level.load(std::memory_order_relaxed)) {
        return;
    }
    // Logging must never take the caller down: allocation failures and sink exceptions end here.
    try {
        std::string line;
        line.reserve(128 + msg.size());
        line += "{\"ts\":\"";
        line += format_rfc3339(SystemClock::instance().now());
        line += "\",\"level\":\"";
        line += level_name(level);
        line += "\",\"msg\":";
        append_string(line, msg);
        for (const OwnedField& f : context()) {
            append_field(line, f.key, f.value);
        }
        for (const Field& f : fields) {
            append_field(line, f.key, f.value);
        }
        line += '}';

        const std::lock_guard lock{s.mutex};
        s.sink(line);
    } catch (...) {
    }
}

ScopedContext::ScopedContext(std::initializer_list<Field> fields) : m_previous_size{context().size()} {
    auto& ctx = context();
    try {
        for (const Field& f : fields) {
            OwnedField owned{std::string{f.key}, {}};
            std::visit(
                [&owned](const auto& v) {
                    if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string_view>) {
                        owned.value = std::string{v};
                    } else {
                        owned.value = v;
                    }
                },
                f.value);
            ctx.push_back(std::move(owned));
        }
    } catch (...) {
        // The destructor will not run: take back what was pushed before rethrowing.
        ctx.resize(m_previous_size);
        throw;
    }
}

ScopedContext::~ScopedContext() {
    // Scopes end in reverse order of construction (the type can be neither copied nor moved), so
    // cutting back to the size we found removes exactly our fields.
    auto& ctx = context();
    if (ctx.size() > m_previous_size) {
        ctx.erase(ctx.begin() + static_cast<std::ptrdiff_t>(m_previous_size), ctx.end());
    }
}

void append_json_escaped(std::string& out, std::string_view s) {
    const auto byte = [&s](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    std::size_t i = 0;
    while (i < s.size()) {
        const unsigned char c = byte(i);
        if (c < 0x80) {
            // RFC 8259 §7: "All Unicode characters may be placed within the quotation marks,
            // except for the characters that MUST be escaped: quotation mark, reverse solidus, and
            // the control characters (U+0000 through U+001F)."
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    if (c < 0x20) {
                        constexpr std::string_view kHex = "0123456789abcdef";
                        out += "\\u00";
                        out += kHex[c >> 4];
                        out += kHex[c & 0x0F];
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        // RFC 3629 §4 lists the well-formed sequences; the second byte's range is what excludes
        // overlong forms (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and code points
        // above U+10FFFF (F4 90.., F5..FF).
        std::size_t length = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            length = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            length = 3;
            if (c == 0xE0) {
                lo = 0xA0;
            } else if (c == 0xED) {
                hi = 0x9F;
            }
        } else if (c >= 0xF0 && c <= 0xF4) {
            length = 4;
            if (c == 0xF0) {
                lo = 0x90;
            } else if (c == 0xF4) {
                hi = 0x8F;
            }
        }
        if (length == 0) {
            out += kReplacement;
            ++i;
            continue;
        }
        // Count the bytes that still fit a well-formed sequence. On a mismatch the whole prefix
        // (the "maximal subpart", Unicode §3.9) becomes one U+FFFD and the offending byte is
        // looked at again as the possible start of the next character.
        std::size_t good = 1;
        while (good < length && i + good < s.size()) {
            const unsigned char next = byte(i + good);
            const unsigned char min = good == 1 ? lo : 0x80;
            const unsigned char max = good == 1 ? hi : 0xBF;
            if (next < min || next > max) {
                break;
            }
            ++good;
        }
        if (good == length) {
            out.append(s.substr(i, length));
        } else {
            out += kReplacement;
        }
        i += good;
    }
}

}  // namespace inkan::log
