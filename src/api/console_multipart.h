#pragma once

// multipart/form-data (RFC 7578 over RFC 2046 §5.1) as the console's verify page and the admin API's
// verify route receive it: a browser's file upload, untrusted input (fuzzed: fuzz/targets/multipart.cpp).
// Bounded: the body is already limited by the route (decision 0018); here the number of parts and the size
// of each part's headers are, and every malformation is Errc::InvalidRequest with a reason that quotes
// none of the body (a 400, never a crash or a guess).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace inkan::api::detail {

struct MultipartPart {
    std::string name;          ///< Content-Disposition's name (a form field's name)
    std::string filename;      ///< its filename when the part is a file (may be empty: no file chosen)
    bool is_file = false;      ///< a filename parameter was present
    std::string content_type;  ///< the part's Content-Type; empty when absent (text/plain, RFC 7578 §4.4)
    std::string body;          ///< the part's content, as sent (no transfer encoding: RFC 7578 §4.7)
};

struct MultipartLimits {
    std::size_t max_parts = 64;           ///< fields and files together
    std::size_t max_header_bytes = 2048;  ///< one part's header block
    std::size_t max_field_bytes = 4096;   ///< a part that is not a file (csrf, format, ...)
};

/// The boundary of a `multipart/form-data; boundary=...` Content-Type (quoted or not; 1..70 characters of
/// RFC 2046's bchars). Errc::InvalidRequest for another media type or a missing or malformed boundary.
std::string multipart_boundary(std::string_view content_type);

/// The parts of `body` in order. Errc::InvalidRequest when the body does not start with the first
/// delimiter (a preamble is allowed), a part lacks `Content-Disposition: form-data; name=...`, a header
/// line is malformed or folded, a limit is exceeded, or the close delimiter is missing.
std::vector<MultipartPart> parse_multipart(std::string_view body, std::string_view boundary,
                                           const MultipartLimits& limits = {});

}  // namespace inkan::api::detail
