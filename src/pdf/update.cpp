#include "update.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <qpdf/QUtil.hh>

#include <inkan/core/error.h>
#include <inkan/pdf/syntax.h>

namespace inkan::pdf::detail {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

[[noreturn]] void io_error(const std::string& what, const std::filesystem::path& p) {
    throw Error{Errc::IoFailure, "pdf: " + what + " " + p.string() + ": " + std::strerror(errno)};
}

void write_all(int fd, const std::uint8_t* data, std::size_t n, std::uint64_t offset, bool positional,
               const std::filesystem::path& p) {
    while (n > 0) {
        const ssize_t w =
            positional ? ::pwrite(fd, data, n, static_cast<off_t>(offset)) : ::write(fd, data, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            io_error("cannot write", p);
        }
        data += w;
        n -= static_cast<std::size_t>(w);
        offset += static_cast<std::uint64_t>(w);
    }
}

// The process umask without changing it (umask(2) can only be read by setting it, which would race
// with other threads creating files): Linux reports it in /proc/self/status since 4.7.
mode_t current_umask() {
    std::ifstream status{"/proc/self/status"};
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Umask:", 0) == 0) {
            return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
        }
    }
    return 022;
}

}  // namespace

TempFile::TempFile(const std::filesystem::path& final_path) : m_final{final_path} {
    const auto dir = final_path.has_parent_path() ? final_path.parent_path() : std::filesystem::path{"."};
    std::string tmpl = (dir / ("." + final_path.filename().string() + ".inkan-XXXXXX")).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    m_fd = ::mkstemp(buf.data());
    if (m_fd < 0) io_error("cannot create a temporary file in", dir);
    m_path = buf.data();
    // mkstemp creates 0600; the result is an ordinary output file, so give it the mode open(2)
    // would have (0666 minus the umask) before it is renamed into place.
    if (::fchmod(m_fd, static_cast<mode_t>(0666 & ~current_umask())) != 0) {
        io_error("cannot set the mode of", m_path);
    }
}

TempFile::~TempFile() {
    if (m_fd >= 0) ::close(m_fd);
    if (!m_path.empty()) ::unlink(m_path.c_str());
}

void TempFile::write(ByteView data) {
    write_all(m_fd, data.data(), data.size(), 0, false, m_path);
    m_size += data.size();
}

void TempFile::copy_from(const std::filesystem::path& source, std::uint64_t size) {
    const int in = ::open(source.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) io_error("cannot open", source);
    std::uint64_t copied = 0;
    try {
        stream_range(in, 0, size, [&](ByteView chunk) {
            write(chunk);
            copied += chunk.size();
        });
    } catch (...) {
        ::close(in);
        throw;
    }
    ::close(in);
    require(copied == size, Errc::IoFailure, "pdf: " + source.string() + " changed while it was copied");
}

std::filesystem::path TempFile::release() {
    if (::fsync(m_fd) != 0) io_error("cannot sync", m_path);
    ::close(m_fd);
    m_fd = -1;
    return std::exchange(m_path, {});
}

void TempFile::commit() {
    const auto p = release();
    if (::rename(p.c_str(), m_final.c_str()) != 0) {
        const int saved = errno;
        ::unlink(p.c_str());
        errno = saved;
        io_error("cannot rename the result to", m_final);
    }
}

void patch_file(const std::filesystem::path& path, std::uint64_t offset, ByteView data) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) io_error("cannot open", path);
    try {
        write_all(fd, data.data(), data.size(), offset, true, path);
        if (::fsync(fd) != 0) io_error("cannot sync", path);
    } catch (...) {
        ::close(fd);
        throw;
    }
    ::close(fd);
}

void stream_range(int fd, std::uint64_t offset, std::uint64_t length,
                  const std::function<void(ByteView)>& sink) {
    std::array<std::uint8_t, kChunk> buf{};
    while (length > 0) {
        const std::size_t want = length < kChunk ? static_cast<std::size_t>(length) : kChunk;
        const ssize_t r = ::pread(fd, buf.data(), want, static_cast<off_t>(offset));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw Error{Errc::IoFailure, std::string{"pdf: read failed: "} + std::strerror(errno)};
        if (r == 0) throw Error{Errc::IoFailure, "pdf: the file is shorter than expected"};
        sink(ByteView{buf.data(), static_cast<std::size_t>(r)});
        offset += static_cast<std::uint64_t>(r);
        length -= static_cast<std::uint64_t>(r);
    }
}

std::string stream_body(std::string_view dict_entries, ByteView data) {
    std::string out = "<<";
    out += dict_entries;
    out += " /Length " + std::to_string(data.size()) + " >>\nstream\n";
    out += to_string(data);
    out += "\nendstream";
    return out;
}

void IncrementalUpdate::put(ObjRef ref, std::string body) {
    m_objects[ref.id] = {ref.gen, std::move(body)};
}

std::map<int, std::uint64_t> IncrementalUpdate::write(TempFile& out) {
    out.copy_from(m_base.path, m_base.size);
    // §7.5.6: the update follows the last %%EOF; make sure it starts on a new line.
    if (!m_base.ends_with_eol) out.write("\n");

    std::map<int, std::uint64_t> body_at;
    std::map<int, std::pair<int, std::uint64_t>> xref;  // id -> (gen, offset of "N G obj")
    for (const auto& [id, obj] : m_objects) {
        const auto header = std::to_string(id) + " " + std::to_string(obj.first) + " obj\n";
        xref[id] = {obj.first, out.size()};
        body_at[id] = out.size() + header.size();
        out.write(header + obj.second + "\nendobj\n");
    }

    // /ID: keep the permanent first element, give this revision a fresh second one (§14.4).
    std::array<unsigned char, 16> fresh{};
    QUtil::initializeWithRandomBytes(fresh.data(), fresh.size());
    const Bytes second{fresh.begin(), fresh.end()};
    const Bytes first = m_base.first_id.empty() ? second : m_base.first_id;
    std::string trailer_common = " /Root " + m_base.root_ref;
    if (!m_base.info_ref.empty()) trailer_common += " /Info " + m_base.info_ref;
    trailer_common += " /ID [" + pdf_hex_string(first) + " " + pdf_hex_string(second) + "]";
    trailer_common += " /Prev " + std::to_string(m_base.prev);

    // Subsections of consecutive object numbers: (first, count).
    auto subsections = [](const std::map<int, std::pair<int, std::uint64_t>>& entries) {
        std::vector<std::pair<int, int>> runs;
        for (const auto& [id, e] : entries) {
            if (!runs.empty() && runs.back().first + runs.back().second == id) {
                ++runs.back().second;
            } else {
                runs.emplace_back(id, 1);
            }
        }
        return runs;
    };

    std::uint64_t startxref = out.size();
    if (m_base.kind == XrefKind::Table) {
        // §7.5.4: each entry is exactly 20 bytes, "nnnnnnnnnn ggggg n" + two-byte EOL.
        std::string x = "xref\n";
        const auto runs = subsections(xref);
        auto it = xref.begin();
        for (const auto& [first_id, count] : runs) {
            x += std::to_string(first_id) + " " + std::to_string(count) + "\n";
            for (int i = 0; i < count; ++i, ++it) {
                char line[32];
                std::snprintf(line, sizeof line, "%010llu %05d n\r\n",
                              static_cast<unsigned long long>(it->second.second), it->second.first);
                x += line;
            }
        }
        x += "trailer\n<< /Size " + std::to_string(m_next) + trailer_common + " >>\n";
        out.write(x);
    } else {
        // §7.5.8: an uncompressed xref stream that lists itself; /W [1 w 2].
        const int self = m_next++;
        xref[self] = {0, startxref};
        const int w = startxref > 0xffffffffULL ? 8 : 4;
        Bytes data;
        for (const auto& [id, e] : xref) {
            data.push_back(1);
            for (int i = w - 1; i >= 0; --i)
                data.push_back(static_cast<std::uint8_t>(e.second >> (8 * i)));
            data.push_back(static_cast<std::uint8_t>(e.first >> 8));
            data.push_back(static_cast<std::uint8_t>(e.first & 0xff));
        }
        std::string index;
        for (const auto& [first_id, count] : subsections(xref)) {
            index += (index.empty() ? "" : " ") + std::to_string(first_id) + " " + std::to_string(count);
        }
        const auto dict = " /Type /XRef /Size " + std::to_string(m_next) + " /W [1 " + std::to_string(w) +
                          " 2] /Index [" + index + "]" + trailer_common;
        out.write(std::to_string(self) + " 0 obj\n" + stream_body(dict, data) + "\nendobj\n");
    }
    out.write("startxref\n" + std::to_string(startxref) + "\n%%EOF\n");
    return body_at;
}

}  // namespace inkan::pdf::detail
