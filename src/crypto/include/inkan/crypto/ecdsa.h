#pragma once

#include <cstddef>

#include <inkan/core/bytes.h>

namespace inkan::crypto {

/// PKCS#11 CKM_ECDSA returns r||s (each field_bytes long); X.509, CMS and CSC want
/// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5480 §2.2 / RFC 3279 §2.2.3).
/// Errc::InvalidEncoding for an empty or odd-length input.
Bytes ecdsa_raw_to_der(ByteView raw);
/// The inverse, left-padding r and s to field_bytes. Errc::InvalidEncoding for bad DER or a value
/// longer than field_bytes.
Bytes ecdsa_der_to_raw(ByteView der, std::size_t field_bytes);

}  // namespace inkan::crypto
