#include <array>
#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>

#include "md_fetch.h"

namespace inkan::crypto {

namespace detail {

ossl::Md fetch_md(DigestAlgorithm alg) {
    const std::string name{spec(alg).openssl_name};
    return ossl::Md{ossl::not_null(::EVP_MD_fetch(nullptr, name.c_str(), nullptr), "EVP_MD_fetch " + name)};
}

}  // namespace detail

Hasher::Hasher(DigestAlgorithm alg)
    : m_alg{alg}, m_ctx{ossl::not_null(::EVP_MD_CTX_new(), "EVP_MD_CTX_new")} {
    const ossl::Md md = detail::fetch_md(alg);
    ossl::check(::EVP_DigestInit_ex2(m_ctx.get(), md.get(), nullptr), "EVP_DigestInit_ex2");
}

void Hasher::update(ByteView data) {
    require(m_ctx != nullptr && !m_finished, Errc::Internal, "Hasher::update after finish");
    if (data.empty()) {
        return;
    }
    ossl::check(::EVP_DigestUpdate(m_ctx.get(), data.data(), data.size()), "EVP_DigestUpdate");
}

Bytes Hasher::finish() {
    require(m_ctx != nullptr && !m_finished, Errc::Internal, "Hasher::finish called twice");
    m_finished = true;
    Bytes out(static_cast<std::size_t>(EVP_MAX_MD_SIZE));
    unsigned int len = 0;
    ossl::check(::EVP_DigestFinal_ex(m_ctx.get(), out.data(), &len), "EVP_DigestFinal_ex");
    out.resize(len);
    require(out.size() == digest_length(m_alg), Errc::Internal, "digest length differs from the table");
    return out;
}

Bytes digest(DigestAlgorithm alg, ByteView data) {
    Hasher h{alg};
    h.update(data);
    return h.finish();
}

Bytes digest(DigestAlgorithm alg, std::istream& in) {
    Hasher h{alg};
    std::array<char, 64 * 1024> buf{};
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const std::streamsize got = in.gcount();
        if (got > 0) {
            h.update(
                ByteView{reinterpret_cast<const std::uint8_t*>(buf.data()), static_cast<std::size_t>(got)});
        }
    }
    if (in.bad()) {
        throw Error{Errc::IoFailure, "reading the stream to digest failed"};
    }
    return h.finish();
}

}  // namespace inkan::crypto
