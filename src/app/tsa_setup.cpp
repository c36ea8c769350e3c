#include "tsa_setup.h"

#include <set>
#include <string>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/pki/certificate.h>
#include <inkan/sign/hsm_signer.h>

#include "context.h"
#include "storage_backend.h"

namespace inkan::app {

namespace {

tsp::Identity identity(const Config& config, hsm::Token& token, const std::string& section, std::string name,
                       bool is_default) {
    tsp::Identity id;
    id.name = std::move(name);
    id.is_default = is_default;
    const auto chain_file = config.path(section + ".certificate");
    require(chain_file.has_value(), Errc::InvalidConfig, section + ".certificate is not configured");
    for (const auto& c : pki::certificates_from_pem(read_text_file(*chain_file))) {
        id.chain.push_back(c.der());
    }
    Bytes key_id;
    try {
        key_id = hex_decode(config.require_string(section + ".key_id"));
    } catch (const Error& e) {
        throw Error{Errc::InvalidConfig, section + ".key_id: " + e.what()};
    }
    try {
        id.signer = std::make_shared<sign::HsmSigner>(token, key_id, id.chain);
    } catch (const Error& e) {
        throw Error{e.code() == Errc::NotFound ? Errc::InvalidConfig : e.code(),
                    section + ".key_id: no such key in the HSM (" + e.what() + ")"};
    }
    const auto policy = config.string(section + ".policy");
    require(policy.has_value() || is_default, Errc::InvalidConfig, section + ".policy is not configured");
    id.policy = policy.value_or(std::string{kDefaultTsaPolicy});
    id.accuracy = std::chrono::milliseconds{config.integer_or(section + ".accuracy_ms", 1000)};
    if (const auto algs = config.strings(section + ".hash_algorithms"); !algs.empty()) {
        id.hash_algorithms.clear();
        for (const auto& a : algs) {
            const auto d = crypto::digest_from_name(a);
            require(d.has_value() && crypto::spec(*d).allowed_for_signing, Errc::InvalidConfig,
                    section + ".hash_algorithms: \"" + a + "\" is not an accepted digest");
            id.hash_algorithms.push_back(*d);
        }
    }
    return id;
}

}  // namespace

std::vector<std::string> tsa_identity_names(const Config& config) {
    std::set<std::string> names;
    for (const auto& key : config.keys()) {
        if (key.rfind("tsa.", 0) == 0) {
            const auto dot = key.find('.', 4);
            if (dot != std::string::npos) {
                names.insert(key.substr(4, dot - 4));
            }
        }
    }
    return {names.begin(), names.end()};
}

std::vector<tsp::Identity> tsa_identities(const Config& config, hsm::Token& token) {
    std::vector<tsp::Identity> ids;
    ids.push_back(identity(config, token, "tsa", "default", true));
    for (const auto& name : tsa_identity_names(config)) {
        ids.push_back(identity(config, token, "tsa." + name, name, false));
    }
    return ids;
}

TsaSetup make_tsa(const Config& config, hsm::Token& token, const Clock& clock, StorageBackend& storage) {
    TsaSetup out;
    if (!config.has("tsa.key_id")) {
        return out;
    }
    std::vector<tsp::Identity> ids = tsa_identities(config, token);
    out.serials = storage.tsa_serials();
    out.authority = std::make_unique<tsp::Authority>(std::move(ids), *out.serials, clock);
    return out;
}

}  // namespace inkan::app
