#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/ecdsa.h>

namespace inkan::crypto {

Bytes ecdsa_raw_to_der(ByteView raw) {
    if (raw.empty() || raw.size() % 2 != 0) {
        throw Error{Errc::InvalidEncoding, "raw ECDSA signature must be r||s of equal halves, got " +
                                               std::to_string(raw.size()) + " octets"};
    }
    const std::size_t half = raw.size() / 2;
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.integer_unsigned(raw.first(half));
        s.integer_unsigned(raw.subspan(half));
    });
    return w.take();
}

Bytes ecdsa_der_to_raw(ByteView der, std::size_t field_bytes) {
    if (field_bytes == 0) {
        throw Error{Errc::InvalidRequest, "ECDSA field length must be positive"};
    }
    der::Reader top{der};
    der::Reader seq = top.sequence();
    top.expect_end();
    const Bytes r = seq.read_integer_unsigned();
    const Bytes s = seq.read_integer_unsigned();
    seq.expect_end();
    // read_integer_unsigned returns {0x00} for zero: strip it so only real magnitude counts.
    const auto magnitude = [](const Bytes& v) {
        return (v.size() == 1 && v[0] == 0) ? ByteView{} : ByteView{v};
    };
    const ByteView rm = magnitude(r);
    const ByteView sm = magnitude(s);
    if (rm.size() > field_bytes || sm.size() > field_bytes) {
        throw Error{Errc::InvalidEncoding,
                    "ECDSA r or s longer than " + std::to_string(field_bytes) + " octets"};
    }
    Bytes raw(2 * field_bytes, 0);
    std::copy(rm.begin(), rm.end(), raw.begin() + static_cast<std::ptrdiff_t>(field_bytes - rm.size()));
    std::copy(sm.begin(), sm.end(), raw.begin() + static_cast<std::ptrdiff_t>(2 * field_bytes - sm.size()));
    return raw;
}

}  // namespace inkan::crypto
