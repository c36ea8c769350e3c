#include <inkan/service/model.h>
#include <inkan/service/ports.h>

#include <algorithm>
#include <array>

#include <inkan/core/error.h>
#include <inkan/hsm/token.h>
#include <inkan/pki/certificate.h>

namespace inkan::service {

std::string_view name(Role r) {
    switch (r) {
        case Role::User:
            return "user";
        case Role::Operator:
            return "operator";
        case Role::Auditor:
            return "auditor";
    }
    return "user";
}

std::optional<Role> role_from_name(std::string_view text) {
    for (const Role r : {Role::User, Role::Operator, Role::Auditor}) {
        if (name(r) == text) {
            return r;
        }
    }
    return std::nullopt;
}

std::string_view name(CredentialKind k) {
    switch (k) {
        case CredentialKind::Personal:
            return "personal";
        case CredentialKind::Seal:
            return "seal";
    }
    return "personal";
}

std::optional<CredentialKind> credential_kind_from_name(std::string_view text) {
    for (const CredentialKind k : {CredentialKind::Personal, CredentialKind::Seal}) {
        if (name(k) == text) {
            return k;
        }
    }
    return std::nullopt;
}

std::string_view name(CredentialStatus s) {
    switch (s) {
        case CredentialStatus::Pending:
            return "pending";
        case CredentialStatus::Active:
            return "active";
        case CredentialStatus::Disabled:
            return "disabled";
    }
    return "disabled";
}

std::string_view name(AuthMode m) {
    switch (m) {
        case AuthMode::Explicit:
            return "explicit";
        case AuthMode::OAuth2Code:
            return "oauth2code";
    }
    return "explicit";
}

std::optional<AuthMode> auth_mode_from_name(std::string_view text) {
    for (const AuthMode m : {AuthMode::Explicit, AuthMode::OAuth2Code}) {
        if (name(m) == text) {
            return m;
        }
    }
    return std::nullopt;
}

namespace {
// CSC v2 (csc-api.md, signDoc): the registered values, named <country>_<law>_<type>.
constexpr std::array<std::string_view, 8> kSignatureQualifiers{
    "eu_eidas_qes",    "eu_eidas_aes",      "eu_eidas_aesqc", "eu_eidas_qeseal",
    "eu_eidas_aeseal", "eu_eidas_aesealqc", "za_ecta_aes",    "za_ecta_oes"};
}  // namespace

bool is_signature_qualifier(std::string_view text) {
    return std::find(kSignatureQualifiers.begin(), kSignatureQualifiers.end(), text) !=
           kSignatureQualifiers.end();
}

std::string signature_qualifier_list() {
    std::string out;
    for (const auto q : kSignatureQualifiers) {
        out += out.empty() ? "" : ", ";
        out += q;
    }
    return out;
}

std::string_view default_signature_qualifier(CredentialKind kind) {
    return kind == CredentialKind::Seal ? "eu_eidas_aeseal" : "eu_eidas_aes";
}

std::string_view name(PendingStage s) {
    switch (s) {
        case PendingStage::Pushed:
            return "pushed";
        case PendingStage::Login:
            return "login";
        case PendingStage::Otp:
            return "otp";
        case PendingStage::Consent:
            return "consent";
    }
    return "login";
}

std::string_view name(SpendRefusal r) noexcept {
    switch (r) {
        case SpendRefusal::Invalid:
            return "invalid";
        case SpendRefusal::Expired:
            return "expired";
        case SpendRefusal::Hash:
            return "hash";
        case SpendRefusal::Count:
            return "count";
    }
    return "invalid";
}

std::string_view name(CodeRefusal r) noexcept {
    switch (r) {
        case CodeRefusal::Invalid:
            return "invalid";
        case CodeRefusal::Used:
            return "used";
        case CodeRefusal::Expired:
            return "expired";
    }
    return "invalid";
}

std::optional<CredentialStatus> credential_status_from_name(std::string_view text) {
    for (const CredentialStatus s :
         {CredentialStatus::Pending, CredentialStatus::Active, CredentialStatus::Disabled}) {
        if (name(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

KeyFacts key_facts(const Credential& c) {
    if (const auto spec = hsm::key_spec_from_name(c.key_algo)) {
        switch (*spec) {
            case hsm::KeySpec::Rsa2048:
                return {crypto::KeyType::Rsa, 2048, std::nullopt};
            case hsm::KeySpec::Rsa3072:
                return {crypto::KeyType::Rsa, 3072, std::nullopt};
            case hsm::KeySpec::Rsa4096:
                return {crypto::KeyType::Rsa, 4096, std::nullopt};
            case hsm::KeySpec::EcP256:
                return {crypto::KeyType::Ec, 256, crypto::Curve::P256};
            case hsm::KeySpec::EcP384:
                return {crypto::KeyType::Ec, 384, crypto::Curve::P384};
            case hsm::KeySpec::EcP521:
                return {crypto::KeyType::Ec, 521, crypto::Curve::P521};
        }
    }
    if (!c.chain.empty()) {
        try {
            const crypto::PublicKey key = pki::Certificate::from_der(c.chain.front()).public_key();
            return {key.type(), key.bits(), key.curve()};
        } catch (const Error& e) {
            // Our own stored data: not the caller's fault.
            throw Error{Errc::Internal,
                        "credential " + c.id + ": stored certificate does not parse: " + e.detail()};
        }
    }
    throw Error{Errc::Internal, "credential " + c.id + ": unknown key algorithm '" + c.key_algo + "'"};
}

}  // namespace inkan::service
