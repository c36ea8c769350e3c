#pragma once

// The PKI as the configuration describes it: the store, the built-in CAs (keys in the HSM), the
// other connectors (manual, CMP), the OCSP responder, and the identities init created (TSA, TLS).
// Built by the composition root for the `ca` commands (and later `serve`).

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/core/config.h>
#include <inkan/hsm/token.h>
#include <inkan/pki/ca.h>
#include <inkan/pki/cmp_connector.h>
#include <inkan/pki/connector.h>
#include <inkan/pki/profile.h>
#include <inkan/pki/store.h>
#include <inkan/sign/hsm_signer.h>

namespace inkan::app {

class StorageBackend;

/// Profiles: the defaults, adjusted by [profile.<name>] tables (validity_days, min_rsa_bits,
/// key_types = ["rsa","ec"], curves = ["P-256",...], qualified, qc_sscd, non_repudiation, policies).
pki::ProfileSet profiles_from_config(const Config& config);

/// A CMP connector's settings from [ca.<name>] (url, recipient, trusted, untrusted, protection =
/// "mac" (reference + secret_env or secret_file) | "signature" (client_cert, client_key, client_chain),
/// request = "p10cr" | "ir", message_timeout, total_timeout, implicit_confirm, proxy).
pki::CmpConfig cmp_config(const Config& config, const std::string& name);

/// The names of the [ca.<name>] tables, in the order the file lists them (sorted).
std::vector<std::string> ca_names(const Config& config);

class PkiContext {
public:
    /// Takes the CA store from `storage` (the configured database) and reads the [ca.*], [ocsp] sections.
    /// CAs are built lazily (a command that only lists them does not touch every key). `storage` must
    /// outlive the context.
    PkiContext(const Config& config, hsm::Token& token, const Clock& clock, StorageBackend& storage);
    ~PkiContext();
    PkiContext(const PkiContext&) = delete;
    PkiContext& operator=(const PkiContext&) = delete;

    [[nodiscard]] const std::vector<std::string>& names() const noexcept { return m_names; }
    /// The CA `ca` commands use without --ca: ca.default, else the only built-in CA that is not a root.
    [[nodiscard]] std::string default_ca() const;
    /// "builtin", "manual", "cmp". Errc::NotFound for an unknown name.
    [[nodiscard]] std::string kind(const std::string& name) const;

    /// Errc::NotFound: no such CA; Errc::InvalidRequest: it is not a built-in CA.
    pki::BuiltinCa& builtin(const std::string& name);
    pki::CaConnector& connector(const std::string& name);

    /// Answers an OCSP request for whichever built-in CA issued the certificates it asks about
    /// (RFC 6960 has one URL for all). The issuing CA's delegated responder ([ocsp]) signs when it
    /// was issued by that CA; otherwise the CA signs its own response.
    Bytes ocsp_response(ByteView request);

    pki::CaStore& store() noexcept { return *m_store; }

    /// Builds every built-in CA and the OCSP responder now, so that afterwards the context is only
    /// read (safe from several threads; the CAs, HsmSigners and the store are thread-safe).
    void warm_up();

    /// Switches the delegated OCSP responder to the key and certificate `config` names (ocsp.key_id,
    /// ocsp.certificate): a renewed responder (`inkan ca renew ocsp`, then SIGHUP). Checked first (the
    /// key is in the HSM, the certificate is for it and has id-kp-OCSPSigning); Errc::InvalidConfig and
    /// nothing changes otherwise. A response being signed meanwhile finishes with the old responder.
    void reload_ocsp(const Config& config);
    /// The delegated responder's certificate (DER; empty when none is configured).
    [[nodiscard]] Bytes ocsp_certificate();

private:
    struct OcspResponder {
        std::unique_ptr<sign::HsmSigner> signer;
        std::vector<Bytes> chain;
    };
    std::shared_ptr<const OcspResponder> ocsp_responder();
    std::shared_ptr<const OcspResponder> make_ocsp_responder(const Config& config);

    const Config& m_config;
    hsm::Token& m_token;
    const Clock& m_clock;
    std::unique_ptr<pki::CaStore> m_store;
    pki::ProfileSet m_profiles;
    std::vector<std::string> m_names;
    std::map<std::string, std::unique_ptr<sign::HsmSigner>> m_signers;
    std::map<std::string, std::unique_ptr<pki::BuiltinCa>> m_cas;
    std::map<std::string, std::unique_ptr<pki::CaConnector>> m_connectors;
    std::mutex m_ocsp_mutex;  // guards the pointer m_ocsp (a responder is never changed once made)
    std::shared_ptr<const OcspResponder> m_ocsp;
};

/// Reads a PEM file with one or more certificates (DER, in file order).
std::vector<Bytes> read_certificates(const std::filesystem::path& pem_file);

/// The trust anchor an imported certificate must chain to (`credential import-cert` without
/// --trust-anchor, the console's upload): the first built-in CA marked root = true (its chain file's last
/// certificate). Errc::InvalidConfig when none is configured.
Bytes configured_trust_anchor(const Config& config, PkiContext& pki);

}  // namespace inkan::app
