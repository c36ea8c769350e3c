// What every storage backend shares (common.h).

#include <inkan/storage/common.h>

#include <chrono>

#include <inkan/core/error.h>

namespace inkan::storage {

std::int64_t to_unix_seconds(TimePoint t) noexcept {
    return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

TimePoint from_unix_seconds(std::int64_t s) noexcept {
    return TimePoint{std::chrono::duration_cast<TimePoint::duration>(std::chrono::seconds{s})};
}

Bytes encode_chain(const std::vector<Bytes>& chain) {
    Bytes out;
    for (const auto& der : chain) {
        require(!der.empty() && der.size() <= 0xFFFFFFFFU, Errc::InvalidRequest,
                "certificate chain: empty or oversized certificate");
        const auto n = static_cast<std::uint32_t>(der.size());
        out.push_back(static_cast<std::uint8_t>(n >> 24));
        out.push_back(static_cast<std::uint8_t>(n >> 16));
        out.push_back(static_cast<std::uint8_t>(n >> 8));
        out.push_back(static_cast<std::uint8_t>(n));
        append(out, der);
    }
    return out;
}

std::vector<Bytes> decode_chain(ByteView blob) {
    std::vector<Bytes> chain;
    std::size_t i = 0;
    while (i < blob.size()) {
        require(blob.size() - i >= 4, Errc::StorageFailure, "storage: credentials.chain is truncated");
        const std::size_t n = (std::size_t{blob[i]} << 24) | (std::size_t{blob[i + 1]} << 16) |
                              (std::size_t{blob[i + 2]} << 8) | std::size_t{blob[i + 3]};
        i += 4;
        require(n > 0 && blob.size() - i >= n, Errc::StorageFailure,
                "storage: credentials.chain is truncated");
        chain.emplace_back(blob.begin() + static_cast<std::ptrdiff_t>(i),
                           blob.begin() + static_cast<std::ptrdiff_t>(i + n));
        i += n;
    }
    return chain;
}

}  // namespace inkan::storage
