#include <inkan/core/bytes.h>

namespace inkan {

bool equal_constant_time(ByteView a, ByteView b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    // volatile keeps the compiler from short-circuiting the loop.
    volatile std::uint8_t diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
    }
    return diff == 0;
}

}  // namespace inkan
