#include <inkan/core/secret.h>

#include <cstring>

namespace inkan {

void secure_wipe(void* p, std::size_t n) noexcept {
    if (p != nullptr && n != 0) {
        ::explicit_bzero(p, n);
    }
}

Secret::Secret(std::string&& value) : m_value(value.begin(), value.end()) {
    secure_wipe(value.data(), value.size());
    value.clear();
}

Secret::Secret(std::string_view value) : m_value(value.begin(), value.end()) {}

Secret::Secret(ByteView value) : m_value(value.begin(), value.end()) {}

Secret::~Secret() {
    wipe();
}

Secret::Secret(Secret&& other) noexcept : m_value(std::move(other.m_value)) {
    other.m_value.clear();
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        wipe();
        m_value = std::move(other.m_value);
        other.m_value.clear();
    }
    return *this;
}

bool Secret::equals(std::string_view other) const noexcept {
    return equal_constant_time(reveal_bytes(), as_bytes(other));
}

void Secret::wipe() noexcept {
    secure_wipe(m_value.data(), m_value.size());
    m_value.clear();
}

}  // namespace inkan
