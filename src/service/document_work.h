#pragma once

// What the document operations (signDoc, extend) share: a per-request work directory (the pdf layer
// works on files), their refusals as DocFailure, and the translation of the fetcher's and TSA's
// failures. Private to the service layer.

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

#include <inkan/core/bytes.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/random.h>
#include <inkan/service/document_signing.h>

namespace inkan::service {

/// Throws the refusal `f` (a Refused<DocFailure>, see doc_failure()) with `text` as its reason.
[[noreturn]] inline void refuse(DocFailure f, std::string_view text, Errc code = Errc::InvalidRequest) {
    throw Refused<DocFailure>{code, f, std::string{text}};
}

/// Rethrows `e`, a failure while opening or checking a request's PDF: a DocFailure as it is; the pdf
/// layer's InvalidEncoding/InvalidRequest (not a PDF, truncated, damaged, encrypted, hybrid reference)
/// as DocFailure::InvalidDocument with its reason but without its "pdf: in-N.pdf: " prefix (our
/// temporary file's name means nothing to the client); anything else unchanged. Call it only in the
/// handler that caught `e` (it rethrows with `throw;`, which keeps a Refused's reason).
[[noreturn]] inline void rethrow_document_error(const Error& e) {
    if (!doc_failure(e) && (e.code() == Errc::InvalidEncoding || e.code() == Errc::InvalidRequest)) {
        const std::string& d = e.detail();
        const auto at = d.find(".pdf: ");
        refuse(DocFailure::InvalidDocument, at == std::string::npos ? d : d.substr(at + 6));
    }
    throw;
}

/// Runs `f`; a TSA, OCSP responder or CRL server that cannot be reached (Errc::Unavailable, or an
/// issuer that cannot be found) becomes DocFailure::ValidationUnavailable with its reason ("<url>:
/// <reason>": no secret), a revoked signer DocFailure::SignerRevoked.
template <typename F>
auto with_validation_failures(F&& f) {
    try {
        return f();
    } catch (const Error& e) {
        if (doc_failure(e)) {
            throw;
        }
        if (e.code() == Errc::Unavailable || e.code() == Errc::NotFound) {
            refuse(DocFailure::ValidationUnavailable, e.detail(), Errc::Unavailable);
        }
        if (e.code() == Errc::Conflict && e.detail().find("revoked") != std::string::npos) {
            refuse(DocFailure::SignerRevoked, e.detail(), Errc::Conflict);
        }
        throw;
    }
}

/// A per-request directory under the work directory, removed with everything in it.
class WorkDir {
public:
    WorkDir(const std::filesystem::path& parent, const std::string& prefix) {
        std::filesystem::create_directories(parent);
        m_path = parent / (prefix + "-" + crypto::random_hex(8));
        std::filesystem::create_directory(m_path);
        std::filesystem::permissions(m_path, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::replace);
    }
    ~WorkDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
        if (ec) {
            log::warn("cannot remove a work directory", {{"path", m_path.string()}});
        }
    }
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;
    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

private:
    std::filesystem::path m_path;
};

inline void write_bytes(const std::filesystem::path& p, ByteView data) {
    std::ofstream out{p, std::ios::binary | std::ios::trunc};
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    out.close();
    require(out.good(), Errc::IoFailure, "cannot write " + p.string());
}

inline Bytes read_bytes(const std::filesystem::path& p) {
    std::ifstream in{p, std::ios::binary};
    require(in.good(), Errc::IoFailure, "cannot read " + p.string());
    return Bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

}  // namespace inkan::service
