// multipart/form-data as the console's verify page and POST /inkan/v1/admin/verify read it
// (api::detail::multipart_boundary, parse_multipart; src/api/console_multipart.h). The input's first line
// is used as the Content-Type header and the rest as the body; the whole input is also parsed as a body
// with the fixed boundary of the seeds, under the default limits and under tight ones. Every part found
// must lie inside the body and have a field name: the parser may refuse (inkan::Error), never invent.
#include <cstdlib>

#include "console_multipart.h"

#include "../fuzz.h"

using namespace inkan;
using namespace inkan::api::detail;

namespace {

void check(std::string_view body, const std::vector<MultipartPart>& parts, const MultipartLimits& limits) {
    if (parts.size() > limits.max_parts) {
        std::abort();
    }
    for (const auto& p : parts) {
        if (p.name.empty() || p.body.size() > body.size() ||
            (!p.is_file && p.body.size() > limits.max_field_bytes) ||
            (!p.body.empty() && body.find(p.body) == std::string_view::npos)) {
            std::abort();
        }
    }
}

void parse(std::string_view body, std::string_view boundary, const MultipartLimits& limits) {
    fuzz::refusing([&] { check(body, parse_multipart(body, boundary, limits), limits); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::text(data, size);
    MultipartLimits tight;
    tight.max_parts = 3;
    tight.max_header_bytes = 64;
    tight.max_field_bytes = 16;
    const auto eol = text.find("\r\n");
    if (eol != std::string_view::npos) {
        const std::string_view type = text.substr(0, eol);
        const std::string_view body = text.substr(eol + 2);
        fuzz::refusing([&] {
            const std::string boundary = multipart_boundary(type);
            parse(body, boundary, {});
            parse(body, boundary, tight);
        });
    }
    parse(text, "inkanfuzz", {});
    parse(text, "inkanfuzz", tight);
    return 0;
}
