#pragma once

// What the file benchmarks share: a generated PDF of a given size, one SHA-256 pass over a file (the
// raw limit every file figure is divided by), and RSS measurement around a timed call.

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/tsp/authority.h>

namespace inkan::bench {

using Steady = std::chrono::steady_clock;

/// TSA serial numbers from memory (the SQLite store has its own tests and benches).
class MemorySerials final : public tsp::SerialSource {
public:
    std::uint64_t reserve(std::uint64_t count) override { return m_next.fetch_add(count); }

private:
    std::atomic<std::uint64_t> m_next{1};
};

/// A one-page PDF with one extra stream of `bytes` random bytes, written in 1 MiB pieces.
inline void write_pdf(const std::filesystem::path& path, std::size_t bytes) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    std::vector<std::size_t> offsets;
    std::size_t pos = 0;
    auto put = [&](std::string_view s) {
        out.write(s.data(), static_cast<std::streamsize>(s.size()));
        pos += s.size();
    };
    put("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n");
    const std::string content = "BT /F1 24 Tf 72 720 Td (inkan bench) Tj ET";
    const std::vector<std::string> objects{
        "<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 "
        "R "
        ">> >> >>",
        "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"};
    for (std::size_t i = 0; i < objects.size(); ++i) {
        offsets.push_back(pos);
        put(std::to_string(i + 1) + " 0 obj\n" + objects[i] + "\nendobj\n");
    }
    offsets.push_back(pos);
    put("6 0 obj\n<< /Length " + std::to_string(bytes) + " >>\nstream\n");
    const Bytes chunk =
        crypto::random_bytes(std::max<std::size_t>(1, std::min<std::size_t>(bytes, 1024 * 1024)));
    for (std::size_t left = bytes; left > 0;) {
        const std::size_t n = std::min(left, chunk.size());
        put({reinterpret_cast<const char*>(chunk.data()), n});
        left -= n;
    }
    put("\nendstream\nendobj\n");
    const std::size_t xref = pos;
    put("xref\n0 7\n0000000000 65535 f\r\n");
    for (const auto off : offsets) {
        char line[32];
        std::snprintf(line, sizeof line, "%010zu 00000 n\r\n", off);
        put(line);
    }
    put("trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n");
}

/// Seconds for one SHA-256 pass over the file, read as the signers and the validator read it.
inline double sha256_seconds(const std::filesystem::path& path) {
    const auto t0 = Steady::now();
    std::ifstream in{path, std::ios::binary};
    (void)crypto::digest(crypto::DigestAlgorithm::Sha256, in);
    return std::chrono::duration<double>(Steady::now() - t0).count();
}

/// A field of /proc/self/status in KiB ("VmRSS", "VmHWM"); 0 if absent.
inline long status_kib(std::string_view field) {
    std::ifstream in{"/proc/self/status"};
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(field, 0) == 0 && line.size() > field.size() && line[field.size()] == ':') {
            return std::atol(line.c_str() + field.size() + 1);
        }
    }
    return 0;
}

/// Times `f` and measures the RSS growth it causes: resets VmHWM (clear_refs 5, Linux ≥ 4.0), runs,
/// returns {seconds, MiB of VmHWM above the VmRSS at the start}.
template <typename F>
std::pair<double, double> measure(F&& f) {
    { std::ofstream{"/proc/self/clear_refs"} << "5"; }
    const long base = status_kib("VmRSS");
    const auto t0 = Steady::now();
    f();
    const double seconds = std::chrono::duration<double>(Steady::now() - t0).count();
    return {seconds, static_cast<double>(std::max(0L, status_kib("VmHWM") - base)) / 1024.0};
}

/// getrusage(RUSAGE_SELF).ru_maxrss: the process peak so far, KiB.
inline long peak_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

}  // namespace inkan::bench
