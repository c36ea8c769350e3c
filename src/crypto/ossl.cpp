#include <array>
#include <string>

#include <openssl/err.h>

#include <inkan/crypto/ossl.h>

namespace inkan::crypto::ossl {

std::string bio_text(BIO* bio) {
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio, &data);
    if (len < 0 || (len > 0 && data == nullptr)) {
        throw_last_error(Errc::CryptoFailure, "BIO_get_mem_data");
    }
    return std::string{data, static_cast<std::size_t>(len)};
}

void throw_last_error(Errc code, std::string_view what) {
    std::string detail{what};
    detail += ": ";
    bool any = false;
    const char* data = nullptr;
    int flags = 0;
    // ERR_get_error_all pops the oldest entry; loop until the queue is empty.
    for (unsigned long e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags); e != 0;
         e = ::ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
        std::array<char, 256> buf{};
        ::ERR_error_string_n(e, buf.data(), buf.size());
        if (any) {
            detail += "; ";
        }
        detail += buf.data();
        if (data != nullptr && (static_cast<unsigned>(flags) & ERR_TXT_STRING) != 0U && *data != '\0') {
            detail += " (";
            detail += data;
            detail += ")";
        }
        any = true;
    }
    if (!any) {
        detail += "no OpenSSL error reported";
    }
    throw Error{code, std::move(detail)};
}

}  // namespace inkan::crypto::ossl
