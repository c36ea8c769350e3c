#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>

namespace inkan {

/// A PIN, one-time code, password, token or SAD. Not copyable (clone() is explicit), not printable
/// (no operator<<, no formatter, no JSON), wiped on destruction and on move-from. `reveal()` is the
/// only accessor, so every place a secret leaves this type can be found with grep.
class Secret {
public:
    Secret() = default;
    /// Takes the characters and wipes the argument's buffer.
    explicit Secret(std::string&& value);
    explicit Secret(std::string_view value);
    explicit Secret(ByteView value);
    ~Secret();

    Secret(Secret&& other) noexcept;
    Secret& operator=(Secret&& other) noexcept;
    Secret(const Secret&) = delete;
    Secret& operator=(const Secret&) = delete;

    /// The secret's bytes as text. Callers must not copy it into anything that outlives the call.
    [[nodiscard]] std::string_view reveal() const noexcept { return {m_value.data(), m_value.size()}; }
    [[nodiscard]] ByteView reveal_bytes() const noexcept {
        return {reinterpret_cast<const std::uint8_t*>(m_value.data()), m_value.size()};
    }
    [[nodiscard]] bool empty() const noexcept { return m_value.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return m_value.size(); }
    [[nodiscard]] Secret clone() const { return Secret{reveal()}; }

    /// Constant-time comparison.
    [[nodiscard]] bool equals(std::string_view other) const noexcept;

    friend std::ostream& operator<<(std::ostream&, const Secret&) = delete;

private:
    void wipe() noexcept;
    // A vector, not a std::string: moving a vector steals the heap buffer, while moving a short
    // std::string copies it (SSO) and would leave a copy behind.
    std::vector<char> m_value;
};

/// Wipes `n` bytes at `p` in a way the optimiser cannot remove.
void secure_wipe(void* p, std::size_t n) noexcept;

}  // namespace inkan
