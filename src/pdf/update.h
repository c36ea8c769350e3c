#pragma once

// The generic core of an incremental update (ISO 32000-1 §7.5.6): the original bytes copied as a
// stream, then new and replaced objects, then a cross-reference section of the same kind as the
// original's newest one, chained by /Prev. Signatures, the DSS and document time-stamps are
// callers of this; it knows nothing about them.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/pdf/document.h>

namespace inkan::pdf::detail {

/// An indirect object's number and generation.
struct ObjRef {
    int id = 0;
    int gen = 0;
    [[nodiscard]] std::string ref() const { return std::to_string(id) + " " + std::to_string(gen) + " R"; }
};

/// What the writer needs to know about the original file.
struct Base {
    std::filesystem::path path;
    std::uint64_t size = 0;
    bool ends_with_eol = true;
    XrefKind kind = XrefKind::Table;
    std::uint64_t prev = 0;  ///< the last startxref: /Prev of the new section
    int next_id = 1;         ///< first free object number (the largest /Size seen)
    std::string root_ref;    ///< "1 0 R"
    std::string info_ref;    ///< "" when the trailer has no indirect /Info
    Bytes first_id;          ///< /ID[0], kept (§14.4); empty when the original has no /ID
};

/// A file created beside its final path and renamed over it by commit(); removed otherwise.
class TempFile {
public:
    explicit TempFile(const std::filesystem::path& final_path);
    ~TempFile();
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    void write(ByteView data);
    void write(std::string_view text) { write(as_bytes(text)); }
    /// Copies the file at `source` to the end, 64 KiB at a time.
    void copy_from(const std::filesystem::path& source, std::uint64_t size);
    [[nodiscard]] std::uint64_t size() const noexcept { return m_size; }
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }
    /// fsync + close; the caller owns the path afterwards (release) or renames it (commit).
    std::filesystem::path release();
    void commit();

private:
    std::filesystem::path m_final;
    std::filesystem::path m_path;
    int m_fd = -1;
    std::uint64_t m_size = 0;
};

/// Replaces `[offset, offset + data.size())` of an existing file in place and syncs it.
void patch_file(const std::filesystem::path& path, std::uint64_t offset, ByteView data);
/// Reads [offset, offset + length) in chunks of at most 64 KiB into `sink`.
void stream_range(int fd, std::uint64_t offset, std::uint64_t length,
                  const std::function<void(ByteView)>& sink);

/// "<<" + entries + " /Length n >>\nstream\n" + data + "\nendstream": a stream object's body.
std::string stream_body(std::string_view dict_entries, ByteView data);

class IncrementalUpdate {
public:
    explicit IncrementalUpdate(Base base) : m_base{std::move(base)}, m_next{m_base.next_id} {}

    /// A new object number (generation 0).
    ObjRef allocate() { return ObjRef{m_next++, 0}; }
    /// Sets the body ("<< ... >>", "[...]", or stream_body(...)) of a new or replaced object.
    void put(ObjRef ref, std::string body);
    /// Writes the original and the update to `out`; returns each object's body offset in `out`.
    std::map<int, std::uint64_t> write(TempFile& out);

private:
    Base m_base;
    int m_next;
    std::map<int, std::pair<int, std::string>> m_objects;  // id -> (gen, body)
};

}  // namespace inkan::pdf::detail
