#pragma once

// The key layer: one PKCS#11 token, reached through a module loaded by path (SoftHSM2 by default,
// any vendor module works). Keys are generated inside the token, marked sensitive and never
// extractable, and are named by their CKA_ID. Nothing above this layer sees a PKCS#11 type.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <inkan/core/bytes.h>
#include <inkan/core/secret.h>
#include <inkan/crypto/algorithms.h>

namespace inkan::hsm {

enum class KeySpec { Rsa2048, Rsa3072, Rsa4096, EcP256, EcP384, EcP521 };
/// "rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384", "ec-p521" (the CLI's names).
std::string_view name(KeySpec spec);
std::optional<KeySpec> key_spec_from_name(std::string_view name);
crypto::KeyType key_type(KeySpec spec);

enum class ObjectClass { PrivateKey, PublicKey, SecretKey, Certificate, Data, Other };
std::string_view name(ObjectClass c);

/// What C_GetAttributeValue says about an object. Flags the token does not report are empty.
struct ObjectInfo {
    ObjectClass object_class = ObjectClass::Other;
    std::string label;
    Bytes id;              ///< CKA_ID
    std::string key_type;  ///< "RSA", "EC", "AES", or "" for non-keys
    std::size_t bits = 0;  ///< RSA modulus bits, EC curve bits, AES key bits; 0 if unknown
    std::optional<bool> sensitive, extractable, always_sensitive, never_extractable, is_private, on_token;
};

struct TokenInfo {
    std::filesystem::path module_path;
    std::string library_description;
    std::string library_manufacturer;
    std::string library_version;   ///< "2.6"
    std::string cryptoki_version;  ///< "2.40"
    std::uint64_t slot_id = 0;
    std::string label, manufacturer, model, serial;
    bool token_initialized = false;
    bool user_pin_initialized = false;
    bool user_pin_locked = false;
    bool user_pin_count_low = false;
    bool login_required = false;
    std::uint64_t session_count = 0;  ///< sessions open on the token (all applications), if reported
    std::uint64_t max_session_count = 0;
};

/// Counters for /metrics and the bench.
struct PoolStats {
    std::size_t size = 0;                 ///< configured maximum sessions
    std::size_t open = 0;                 ///< sessions currently open
    std::size_t in_use = 0;               ///< sessions leased right now
    std::uint64_t waits = 0;              ///< leases that had to wait for a free session
    std::uint64_t recoveries = 0;         ///< operations retried after a recoverable CK_RV
    std::uint64_t reinitialisations = 0;  ///< module re-initialisations (C_Finalize + C_Initialize)
    std::uint64_t lease_timeouts = 0;     ///< operations refused because no session came free in time
};

struct TokenConfig {
    std::filesystem::path module;  ///< the PKCS#11 library
    std::string token_label;       ///< the token is found by label (slot ids change, e.g. in SoftHSM)
    Secret user_pin;
    std::size_t pool_size = 4;  ///< sessions in the pool (one thread per session at a time)
    /// How long an operation waits for a free session when all are leased (a slow or hung HSM, or
    /// more concurrent signers than sessions); then Errc::HsmUnavailable, which the API answers
    /// with 503 temporarily_unavailable instead of holding the request (and its worker) forever.
    std::chrono::milliseconds lease_timeout{10'000};
};

/// Initialises a new token in the module's first free (uninitialised) slot: C_InitToken with the
/// SO PIN, then C_InitPIN for the user PIN. Errc::Conflict if a token with this label exists.
void initialize_token(const std::filesystem::path& module, std::string_view label, const Secret& so_pin,
                      const Secret& user_pin);

/// Lists the labels of the initialised tokens a module offers.
std::vector<std::string> token_labels(const std::filesystem::path& module);

class Token {
public:
    /// Loads the module (shared per path within the process), finds the token by label and logs
    /// the user in once (login is per application and token, not per session).
    /// Errc::HsmUnavailable: module not loadable / token not found; Errc::InvalidAuthData: wrong PIN;
    /// Errc::Locked: PIN locked.
    explicit Token(TokenConfig config);
    ~Token();
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;

    [[nodiscard]] TokenInfo info() const;

    /// Generates a key pair inside the token: private key CKA_SENSITIVE=TRUE, CKA_EXTRACTABLE=FALSE,
    /// CKA_PRIVATE=TRUE, CKA_TOKEN=TRUE, CKA_SIGN=TRUE; public key CKA_TOKEN=TRUE, CKA_VERIFY=TRUE; both
    /// with the same fresh 16-byte random CKA_ID, which is returned.
    Bytes generate_key_pair(KeySpec spec, std::string_view label);
    /// An AES key (CKM_AES_KEY_GEN; sensitive, not extractable, encrypt/decrypt only). Returns its CKA_ID.
    Bytes generate_aes_key(std::string_view label, std::size_t bits = 256);

    /// Every object visible to the logged-in user.
    [[nodiscard]] std::vector<ObjectInfo> objects() const;
    /// The first object of this class with this CKA_ID.
    [[nodiscard]] std::optional<ObjectInfo> find(ObjectClass c, ByteView id) const;
    /// The CKA_ID of the first object of this class with this label.
    [[nodiscard]] std::optional<Bytes> find_id_by_label(ObjectClass c, std::string_view label) const;

    /// The public key as DER SubjectPublicKeyInfo, built from CKA_MODULUS/CKA_PUBLIC_EXPONENT or
    /// CKA_EC_PARAMS/CKA_EC_POINT of the public key object with this id.
    [[nodiscard]] Bytes public_key_spki(ByteView id) const;

    /// Signs a pre-computed digest with the private key `id`:
    ///   RSA PKCS#1 v1.5: DigestInfo(digest) through CKM_RSA_PKCS;
    ///   RSASSA-PSS: CKM_RSA_PKCS_PSS with hash, MGF1 and salt length from alg.pss;
    ///   ECDSA: CKM_ECDSA, converted from r||s to DER.
    /// Errc::InvalidRequest: digest length does not match; Errc::UnsupportedAlgorithm: alg does not
    /// fit the key or the module lacks the mechanism; Errc::NotFound: no such key.
    Bytes sign(ByteView key_id, const crypto::SignatureAlgorithm& alg, ByteView digest);

    /// AES-256-GCM with a fresh 96-bit IV and a 128-bit tag: returns iv || ciphertext || tag.
    Bytes encrypt_aes_gcm(ByteView key_id, ByteView plaintext, ByteView aad);
    /// The inverse; Errc::InvalidAuthData when the tag does not verify (wrong key, aad or data).
    Bytes decrypt_aes_gcm(ByteView key_id, ByteView sealed, ByteView aad);

    /// Destroys every object (private, public, secret key) with this CKA_ID. Errc::NotFound if none.
    void destroy_key(ByteView id);

    [[nodiscard]] PoolStats pool_stats() const;

    class Impl;
    /// For the hsm layer's own tests (recovery scenarios); not part of the API.
    Impl& impl() noexcept { return *m_impl; }

private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace inkan::hsm
