#include "ossl_pki.h"

#include <ctime>
#include <limits>

#include <openssl/asn1.h>
#include <openssl/err.h>

#include <inkan/core/error.h>

namespace inkan::pki::detail {

ossl::Bio memory_bio(ByteView data) {
    if (data.size() > static_cast<std::size_t>(INT_MAX)) {
        throw Error{Errc::PayloadTooLarge, "input too large for a memory BIO"};
    }
    return ossl::Bio{
        ossl::not_null(::BIO_new_mem_buf(data.data(), static_cast<int>(data.size())), "BIO_new_mem_buf")};
}

ossl::Bio memory_bio() {
    return ossl::Bio{ossl::not_null(::BIO_new(::BIO_s_mem()), "BIO_new")};
}

long der_length(ByteView der) {
    if (der.size() > static_cast<std::size_t>(LONG_MAX)) {
        throw Error{Errc::PayloadTooLarge, "DER input too large"};
    }
    return static_cast<long>(der.size());
}

TimePoint to_time_point(const ASN1_TIME* t) {
    std::tm tm{};
    if (t == nullptr || ::ASN1_TIME_to_tm(t, &tm) != 1) {
        ossl::throw_last_error(Errc::InvalidEncoding, "ASN1_TIME_to_tm");
    }
    const std::time_t seconds = ::timegm(&tm);
    using Seconds = std::chrono::seconds;
    constexpr auto kMax = std::chrono::duration_cast<Seconds>(TimePoint::max().time_since_epoch()).count();
    constexpr auto kMin = std::chrono::duration_cast<Seconds>(TimePoint::min().time_since_epoch()).count();
    if (seconds >= kMax) {
        return TimePoint::max();
    }
    if (seconds <= kMin) {
        return TimePoint::min();
    }
    return TimePoint{Seconds{seconds}};
}

ossl::Cert parse_x509(ByteView der) {
    const unsigned char* p = der.data();
    ossl::Cert cert{::d2i_X509(nullptr, &p, der_length(der))};
    if (!cert) {
        ossl::throw_last_error(Errc::InvalidEncoding, "d2i_X509");
    }
    if (p != der.data() + der.size()) {
        throw Error{Errc::InvalidEncoding, "trailing data after the certificate"};
    }
    return cert;
}

}  // namespace inkan::pki::detail
