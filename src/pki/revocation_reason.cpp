// RevocationReason names (declared in store.h, the CA port).

#include <array>
#include <cctype>
#include <charconv>
#include <string>

#include <inkan/core/error.h>
#include <inkan/pki/store.h>

namespace inkan::pki {

namespace {

struct ReasonName {
    RevocationReason reason;
    std::string_view name;  // RFC 5280 §5.3.1 spelling
};

constexpr std::array<ReasonName, 10> kReasons{{
    {RevocationReason::Unspecified, "unspecified"},
    {RevocationReason::KeyCompromise, "keyCompromise"},
    {RevocationReason::CaCompromise, "cACompromise"},
    {RevocationReason::AffiliationChanged, "affiliationChanged"},
    {RevocationReason::Superseded, "superseded"},
    {RevocationReason::CessationOfOperation, "cessationOfOperation"},
    {RevocationReason::CertificateHold, "certificateHold"},
    {RevocationReason::RemoveFromCrl, "removeFromCRL"},
    {RevocationReason::PrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::AaCompromise, "aACompromise"},
}};

/// Lower case, separators ('-', '_', ' ') removed: "Key-Compromise" → "keycompromise".
std::string fold(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '-' || c == '_' || c == ' ') {
            continue;
        }
        out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

}  // namespace

std::string_view name(RevocationReason r) {
    for (const ReasonName& n : kReasons) {
        if (n.reason == r) {
            return n.name;
        }
    }
    return "unknown";
}

RevocationReason revocation_reason_from_name(std::string_view text) {
    unsigned number = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) {
        for (const ReasonName& n : kReasons) {
            if (static_cast<unsigned>(n.reason) == number) {
                return n.reason;
            }
        }
    } else {
        const std::string folded = fold(text);
        for (const ReasonName& n : kReasons) {
            if (fold(n.name) == folded) {
                return n.reason;
            }
        }
    }
    throw Error{Errc::InvalidRequest,
                "unknown revocation reason \"" + std::string{text} +
                    "\" (expected unspecified, keyCompromise, cACompromise, affiliationChanged, superseded, "
                    "cessationOfOperation, certificateHold, removeFromCRL, privilegeWithdrawn, aACompromise "
                    "or their numbers)"};
}

}  // namespace inkan::pki
