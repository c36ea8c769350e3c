#pragma once

// The one place that includes the PKCS#11 header. Internal to the hsm layer: nothing outside
// src/hsm (and its tests) sees a PKCS#11 type.
//
// p11-kit's <p11-kit/pkcs11.h> defines CRYPTOKI_COMPAT by default, which gives the standard
// PKCS#11 type and field names (CK_ULONG, pValue, ulValueLen, slotID, pIv, ...) by way of
// lower-case object-like macros (`value`, `count`, `params`, `slot_id`, `session_count`, ...).
// Left defined, those would rewrite any later `std::optional::value()`, `map::count()` or
// `TokenInfo::slot_id`, so they are undefined right after the include. The standard names stay.

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <p11-kit/pkcs11.h>
#pragma GCC diagnostic pop

// clang-format off
#undef cryptoki_version
#undef manufacturer_id
#undef library_description
#undef library_version
#undef slot_description
#undef hardware_version
#undef firmware_version
#undef serial_number
#undef max_session_count
#undef session_count
#undef max_rw_session_count
#undef rw_session_count
#undef max_pin_len
#undef min_pin_len
#undef total_public_memory
#undef free_public_memory
#undef total_private_memory
#undef free_private_memory
#undef utc_time
#undef slot_id
#undef device_error
#undef value
#undef value_len
#undef count
#undef parameter
#undef parameter_len
#undef params
#undef min_key_size
#undef max_key_size
#undef create_mutex
#undef destroy_mutex
#undef lock_mutex
#undef unlock_mutex
#undef reserved
#undef hash_alg
#undef s_len
#undef source_data
#undef source_data_len
#undef counter_bits
#undef iv_ptr
#undef iv_len
#undef iv_bits
#undef aad_ptr
#undef aad_len
#undef tag_bits
#undef shared_data_len
#undef shared_data
#undef public_data_len
#undef public_data
#undef string_data
#undef string_data_len
#undef data_params
// clang-format on

// SHA-3 constants from PKCS#11 v3.0 (OASIS, "PKCS #11 Cryptographic Token Interface Current
// Mechanisms Specification Version 3.0", §2.1.14 (CK_RSA_PKCS_MGF_TYPE: CKG_MGF1_SHA3_224 0x6,
// CKG_MGF1_SHA3_256 0x7, CKG_MGF1_SHA3_384 0x8, CKG_MGF1_SHA3_512 0x9) and pkcs11t.h (CKM_SHA3_256
// 0x2B0, CKM_SHA3_512 0x2D0)). p11-kit 0.24's header is PKCS#11 2.40 and lacks them.
#ifndef CKM_SHA3_256
#define CKM_SHA3_256 0x000002B0UL
#endif
#ifndef CKM_SHA3_512
#define CKM_SHA3_512 0x000002D0UL
#endif
#ifndef CKG_MGF1_SHA3_256
#define CKG_MGF1_SHA3_256 0x00000007UL
#endif
#ifndef CKG_MGF1_SHA3_512
#define CKG_MGF1_SHA3_512 0x00000009UL
#endif
