#pragma once

// CK_RV: names, the mapping to inkan::Errc (one switch), and the exception that carries both.

#include <string_view>

#include <inkan/core/error.h>

#include "p11.h"

namespace inkan::hsm {

/// "CKR_KEY_HANDLE_INVALID" for every return value of PKCS#11 2.40 (and the few 3.0 additions
/// a 2.40 module may still return); "CKR_VENDOR_DEFINED" for vendor codes, "CKR_UNKNOWN" otherwise.
std::string_view ckr_name(CK_RV rv) noexcept;

/// The one CK_RV -> Errc mapping (docs: PIN_INCORRECT -> InvalidAuthData, device gone ->
/// HsmUnavailable, mechanism problems -> UnsupportedAlgorithm, ...; anything else HsmFailure).
Errc errc_from_ckr(CK_RV rv) noexcept;

/// What the hsm layer throws for a failed PKCS#11 call: an inkan::Error (callers above this layer
/// only see that) that also keeps the CK_RV, so the session pool can tell recoverable failures
/// (a closed session, an uninitialised module) from final ones.
class Pkcs11Error : public Error {
public:
    Pkcs11Error(Errc code, std::string detail, CK_RV rv) : Error{code, std::move(detail)}, m_rv{rv} {}
    [[nodiscard]] CK_RV rv() const noexcept { return m_rv; }

private:
    CK_RV m_rv;
};

/// Throws Pkcs11Error{errc_from_ckr(rv), "C_Sign: CKR_KEY_HANDLE_INVALID (0x60)"}. `what` names the
/// call (and may add context such as a label); it must never contain a PIN.
[[noreturn]] void throw_ckr(CK_RV rv, std::string_view what);
/// Same, with a code chosen by the call site (e.g. CKR_ARGUMENTS_BAD from C_SignInit with PSS
/// parameters the module does not support -> UnsupportedAlgorithm).
[[noreturn]] void throw_ckr(CK_RV rv, std::string_view what, Errc code);

/// throw_ckr unless rv == CKR_OK.
inline void check_ckr(CK_RV rv, std::string_view what) {
    if (rv != CKR_OK) {
        throw_ckr(rv, what);
    }
}

}  // namespace inkan::hsm
