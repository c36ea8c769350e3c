#include <algorithm>
#include <array>
#include <cstdio>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>
#include <inkan/crypto/keys.h>
#include <inkan/crypto/random.h>
#include <inkan/hsm/token.h>

#include "attributes.h"
#include "ckr.h"
#include "mechanisms.h"
#include "token_impl.h"

namespace inkan::hsm {

using crypto::Curve;
using crypto::KeyType;

namespace {

constexpr std::string_view kRsaEncryption = "1.2.840.113549.1.1.1";
constexpr std::string_view kEcPublicKey = "1.2.840.10045.2.1";
constexpr std::size_t kKeyIdBytes = 16;
constexpr std::size_t kGcmIvBytes = 12;
constexpr std::size_t kGcmTagBytes = 16;
constexpr CK_ULONG kUnavailable = ~CK_ULONG{0};  // CK_UNAVAILABLE_INFORMATION

struct KeySpecRow {
    KeySpec spec;
    std::string_view name;
    KeyType type;
    CK_ULONG rsa_bits;  // 0 for EC
    Curve curve;        // ignored for RSA
};
// clang-format off
constexpr std::array kKeySpecs{
    KeySpecRow{KeySpec::Rsa2048, "rsa-2048", KeyType::Rsa, 2048, Curve::P256},
    KeySpecRow{KeySpec::Rsa3072, "rsa-3072", KeyType::Rsa, 3072, Curve::P256},
    KeySpecRow{KeySpec::Rsa4096, "rsa-4096", KeyType::Rsa, 4096, Curve::P256},
    KeySpecRow{KeySpec::EcP256,  "ec-p256",  KeyType::Ec,  0,    Curve::P256},
    KeySpecRow{KeySpec::EcP384,  "ec-p384",  KeyType::Ec,  0,    Curve::P384},
    KeySpecRow{KeySpec::EcP521,  "ec-p521",  KeyType::Ec,  0,    Curve::P521},
};
// clang-format on

const KeySpecRow& row(KeySpec spec) {
    for (const auto& r : kKeySpecs) {
        if (r.spec == spec) {
            return r;
        }
    }
    throw Error{Errc::Internal, "unknown KeySpec"};
}

std::size_t curve_bits(Curve c) {
    switch (c) {
        case Curve::P256:
            return 256;
        case Curve::P384:
            return 384;
        case Curve::P521:
            return 521;
    }
    return 0;
}

CK_OBJECT_CLASS ck_class(ObjectClass c) {
    switch (c) {
        case ObjectClass::PrivateKey:
            return CKO_PRIVATE_KEY;
        case ObjectClass::PublicKey:
            return CKO_PUBLIC_KEY;
        case ObjectClass::SecretKey:
            return CKO_SECRET_KEY;
        case ObjectClass::Certificate:
            return CKO_CERTIFICATE;
        case ObjectClass::Data:
            return CKO_DATA;
        case ObjectClass::Other:
            break;
    }
    throw Error{Errc::InvalidRequest, "no PKCS#11 class for ObjectClass::Other"};
}

ObjectClass object_class(CK_OBJECT_CLASS c) {
    switch (c) {
        case CKO_PRIVATE_KEY:
            return ObjectClass::PrivateKey;
        case CKO_PUBLIC_KEY:
            return ObjectClass::PublicKey;
        case CKO_SECRET_KEY:
            return ObjectClass::SecretKey;
        case CKO_CERTIFICATE:
            return ObjectClass::Certificate;
        case CKO_DATA:
            return ObjectClass::Data;
        default:
            return ObjectClass::Other;
    }
}

std::string key_type_name(CK_KEY_TYPE k) {
    switch (k) {
        case CKK_RSA:
            return "RSA";
        case CKK_EC:
            return "EC";
        case CKK_AES:
            return "AES";
        default: {
            std::array<char, 32> buf{};
            std::snprintf(buf.data(), buf.size(), "CKK(%#lx)", k);
            return buf.data();
        }
    }
}

std::string version(const CK_VERSION& v) {
    return std::to_string(v.major) + "." + std::to_string(v.minor);
}

/// The curve OID inside CKA_EC_PARAMS (a DER OBJECT IDENTIFIER, the namedCurve choice).
std::optional<Curve> curve_of(ByteView ec_params) {
    try {
        der::Reader r{ec_params};
        const std::string oid = r.read_oid();
        r.expect_end();
        return crypto::curve_from_oid(oid);
    } catch (const Error&) {
        return std::nullopt;  // implicitCurve / specifiedCurve: not something inkan generates
    }
}

/// The bit length of an unsigned big-endian integer.
std::size_t bit_length(ByteView v) {
    std::size_t i = 0;
    while (i < v.size() && v[i] == 0) {
        ++i;
    }
    if (i == v.size()) {
        return 0;
    }
    std::size_t bits = (v.size() - i - 1) * 8;
    for (unsigned top = v[i]; top != 0; top >>= 1) {
        ++bits;
    }
    return bits;
}

/// CKA_EC_POINT is a DER OCTET STRING holding the uncompressed point (PKCS#11 2.40 §2.3.3; SoftHSM
/// does this); some modules return the bare point. Returns the bare point either way.
Bytes unwrap_ec_point(ByteView value, std::size_t field_bytes) {
    const std::size_t point_len = 1 + 2 * field_bytes;
    if (value.size() == point_len && value[0] == 0x04) {
        return to_bytes(value);
    }
    try {
        const der::Tlv tlv = der::parse_single(value);
        if (tlv.is_universal(der::tag::OctetString) && !tlv.constructed && tlv.content.size() == point_len &&
            tlv.content[0] == 0x04) {
            return to_bytes(tlv.content);
        }
    } catch (const Error&) {
    }
    throw Error{Errc::HsmFailure,
                "CKA_EC_POINT is neither an uncompressed point nor one wrapped in an OCTET STRING"};
}

ObjectInfo read_object(const CK_FUNCTION_LIST& f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o) {
    ObjectInfo info;
    const auto cls = get_ulong(f, s, o, CKA_CLASS);
    info.object_class = cls ? object_class(*cls) : ObjectClass::Other;
    if (const auto label = get_attribute(f, s, o, CKA_LABEL)) {
        info.label = to_string(*label);
    }
    if (auto id = get_attribute(f, s, o, CKA_ID)) {
        info.id = std::move(*id);
    }
    const bool is_key = info.object_class == ObjectClass::PrivateKey ||
                        info.object_class == ObjectClass::PublicKey ||
                        info.object_class == ObjectClass::SecretKey;
    if (is_key) {
        if (const auto kt = get_ulong(f, s, o, CKA_KEY_TYPE)) {
            info.key_type = key_type_name(*kt);
            if (*kt == CKK_RSA) {
                if (const auto bits = get_ulong(f, s, o, CKA_MODULUS_BITS)) {
                    info.bits = *bits;
                } else if (const auto modulus = get_attribute(f, s, o, CKA_MODULUS)) {
                    info.bits = bit_length(*modulus);
                }
            } else if (*kt == CKK_EC) {
                if (const auto params = get_attribute(f, s, o, CKA_EC_PARAMS)) {
                    if (const auto curve = curve_of(*params)) {
                        info.bits = curve_bits(*curve);
                    }
                }
            } else if (const auto len = get_ulong(f, s, o, CKA_VALUE_LEN)) {
                info.bits = *len * 8;
            }
        }
        info.sensitive = get_bool(f, s, o, CKA_SENSITIVE);
        info.extractable = get_bool(f, s, o, CKA_EXTRACTABLE);
        info.always_sensitive = get_bool(f, s, o, CKA_ALWAYS_SENSITIVE);
        info.never_extractable = get_bool(f, s, o, CKA_NEVER_EXTRACTABLE);
    }
    info.is_private = get_bool(f, s, o, CKA_PRIVATE);
    info.on_token = get_bool(f, s, o, CKA_TOKEN);
    return info;
}

/// SoftHSM scans its token directory only in C_Initialize. A module that somebody else in this
/// process has had loaded for a while may not see tokens other processes made since, so the
/// administrative calls re-initialise a module that is in use elsewhere (its pools recover).
std::shared_ptr<Module> open_fresh(const std::filesystem::path& path) {
    auto module = Module::open(path);
    if (module.use_count() > 1) {
        module->reinitialize(module->generation());
    }
    return module;
}

void check_label(std::string_view label, std::string_view what) {
    require(!label.empty(), Errc::InvalidRequest, std::string{what} + " label is empty");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names

std::string_view name(KeySpec spec) {
    return row(spec).name;
}

std::optional<KeySpec> key_spec_from_name(std::string_view n) {
    for (const auto& r : kKeySpecs) {
        if (r.name == n) {
            return r.spec;
        }
    }
    return std::nullopt;
}

crypto::KeyType key_type(KeySpec spec) {
    return row(spec).type;
}

std::string_view name(ObjectClass c) {
    switch (c) {
        case ObjectClass::PrivateKey:
            return "private-key";
        case ObjectClass::PublicKey:
            return "public-key";
        case ObjectClass::SecretKey:
            return "secret-key";
        case ObjectClass::Certificate:
            return "certificate";
        case ObjectClass::Data:
            return "data";
        case ObjectClass::Other:
            return "other";
    }
    return "other";
}

// ---------------------------------------------------------------------------------------------
// Token::Impl

Token::Impl::Impl(TokenConfig config) : m_config{std::move(config)} {
    check_label(m_config.token_label, "token");
    m_module = Module::open(m_config.module);
    m_pool = std::make_unique<SessionPool>(m_module, m_config.token_label, std::move(m_config.user_pin),
                                           m_config.pool_size, m_config.lease_timeout);
}

Token::Impl::KeyRef Token::Impl::resolve(const Session& s, ByteView id, CK_OBJECT_CLASS cls) {
    auto key = std::make_pair(to_bytes(id), cls);
    {
        std::lock_guard g{m_cache_mutex};
        if (s.epoch > m_cache_epoch) {
            m_cache.clear();
            m_cache_epoch = s.epoch;
        }
        if (s.epoch == m_cache_epoch) {
            if (const auto it = m_cache.find(key); it != m_cache.end()) {
                return it->second;
            }
        }
    }
    const CK_FUNCTION_LIST& f = fn();
    Template match;
    match.add_ulong(CKA_CLASS, cls).add_bytes(CKA_ID, id);
    const auto found = find_objects(f, s.handle, match, 1);
    if (found.empty()) {
        // Private objects are invisible to a logged-out application: if somebody logged us out,
        // say so, and the pool logs in again and retries.
        CK_SESSION_INFO si{};
        if (f.C_GetSessionInfo(s.handle, &si) == CKR_OK && si.state != CKS_RW_USER_FUNCTIONS &&
            si.state != CKS_RO_USER_FUNCTIONS) {
            throw_ckr(CKR_USER_NOT_LOGGED_IN, "C_FindObjects (key lookup while logged out)");
        }
        throw Error{Errc::NotFound, "no key with this id on token '" + m_config.token_label + "'"};
    }
    const auto kt = get_ulong(f, s.handle, found.front(), CKA_KEY_TYPE);
    require(kt.has_value(), Errc::HsmFailure, "key without CKA_KEY_TYPE");
    const KeyRef ref{found.front(), *kt};
    std::lock_guard g{m_cache_mutex};
    if (s.epoch == m_cache_epoch) {
        m_cache.insert_or_assign(std::move(key), ref);
    }
    return ref;
}

void Token::Impl::forget_keys() {
    std::lock_guard g{m_cache_mutex};
    m_cache.clear();
}

void Token::Impl::forget_key(ByteView id) {
    std::lock_guard g{m_cache_mutex};
    std::erase_if(m_cache, [&](const auto& entry) { return std::ranges::equal(entry.first.first, id); });
}

// ---------------------------------------------------------------------------------------------
// Token

Token::Token(TokenConfig config) : m_impl{std::make_unique<Impl>(std::move(config))} {}

Token::~Token() = default;

TokenInfo Token::info() const {
    return m_impl->with_session([&](const Session& s) {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        CK_INFO li{};
        check_ckr(f.C_GetInfo(&li), "C_GetInfo");
        CK_TOKEN_INFO ti{};
        check_ckr(f.C_GetTokenInfo(s.slot, &ti), "C_GetTokenInfo");
        TokenInfo out;
        out.module_path = m_impl->module().path();
        out.library_description = trim_padded(li.libraryDescription, sizeof li.libraryDescription);
        out.library_manufacturer = trim_padded(li.manufacturerID, sizeof li.manufacturerID);
        out.library_version = version(li.libraryVersion);
        out.cryptoki_version = version(li.cryptokiVersion);
        out.slot_id = s.slot;
        out.label = trim_padded(ti.label, sizeof ti.label);
        out.manufacturer = trim_padded(ti.manufacturerID, sizeof ti.manufacturerID);
        out.model = trim_padded(ti.model, sizeof ti.model);
        out.serial = trim_padded(ti.serialNumber, sizeof ti.serialNumber);
        out.token_initialized = (ti.flags & CKF_TOKEN_INITIALIZED) != 0;
        out.user_pin_initialized = (ti.flags & CKF_USER_PIN_INITIALIZED) != 0;
        out.user_pin_locked = (ti.flags & CKF_USER_PIN_LOCKED) != 0;
        out.user_pin_count_low = (ti.flags & CKF_USER_PIN_COUNT_LOW) != 0;
        out.login_required = (ti.flags & CKF_LOGIN_REQUIRED) != 0;
        out.session_count = ti.ulSessionCount == kUnavailable ? 0 : ti.ulSessionCount;
        out.max_session_count = ti.ulMaxSessionCount == kUnavailable ? 0 : ti.ulMaxSessionCount;
        return out;
    });
}

Bytes Token::generate_key_pair(KeySpec spec, std::string_view label) {
    check_label(label, "key");
    const KeySpecRow& r = row(spec);
    const Bytes id = crypto::random_bytes(kKeyIdBytes);

    Template pub;
    pub.add_ulong(CKA_CLASS, CKO_PUBLIC_KEY)
        .add(CKA_TOKEN, true)
        .add(CKA_PRIVATE, false)
        .add(CKA_VERIFY, true)
        .add(CKA_ENCRYPT, false)
        .add(CKA_WRAP, false)
        .add_bytes(CKA_ID, id)
        .add_text(CKA_LABEL, label);
    Template priv;
    priv.add_ulong(CKA_CLASS, CKO_PRIVATE_KEY)
        .add(CKA_TOKEN, true)
        .add(CKA_PRIVATE, true)
        .add(CKA_SENSITIVE, true)
        .add(CKA_EXTRACTABLE, false)
        .add(CKA_SIGN, true)
        .add(CKA_DECRYPT, false)
        .add(CKA_UNWRAP, false)
        .add(CKA_DERIVE, false)
        .add_bytes(CKA_ID, id)
        .add_text(CKA_LABEL, label);
    CK_MECHANISM mech{};
    if (r.type == KeyType::Rsa) {
        static constexpr std::array<std::uint8_t, 3> kF4{0x01, 0x00, 0x01};  // 65537
        mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
        pub.add_ulong(CKA_KEY_TYPE, CKK_RSA)
            .add_ulong(CKA_MODULUS_BITS, r.rsa_bits)
            .add_bytes(CKA_PUBLIC_EXPONENT, kF4);
        priv.add_ulong(CKA_KEY_TYPE, CKK_RSA);
    } else {
        mech.mechanism = CKM_EC_KEY_PAIR_GEN;
        der::Writer w;
        w.oid(crypto::spec(r.curve).oid);
        pub.add_ulong(CKA_KEY_TYPE, CKK_EC).add_bytes(CKA_EC_PARAMS, w.bytes());
        priv.add_ulong(CKA_KEY_TYPE, CKK_EC);
    }
    m_impl->with_session([&](const Session& s) {
        CK_OBJECT_HANDLE hpub = CK_INVALID_HANDLE;
        CK_OBJECT_HANDLE hpriv = CK_INVALID_HANDLE;
        check_ckr(m_impl->fn().C_GenerateKeyPair(s.handle, &mech, pub.data(), pub.size(), priv.data(),
                                                 priv.size(), &hpub, &hpriv),
                  "C_GenerateKeyPair (" + std::string{r.name} + ")");
    });
    return id;
}

Bytes Token::generate_aes_key(std::string_view label, std::size_t bits) {
    check_label(label, "key");
    require(bits == 128 || bits == 192 || bits == 256, Errc::InvalidRequest,
            "AES key size must be 128, 192 or 256 bits, not " + std::to_string(bits));
    const Bytes id = crypto::random_bytes(kKeyIdBytes);
    Template t;
    t.add_ulong(CKA_CLASS, CKO_SECRET_KEY)
        .add_ulong(CKA_KEY_TYPE, CKK_AES)
        .add_ulong(CKA_VALUE_LEN, bits / 8)
        .add(CKA_TOKEN, true)
        .add(CKA_PRIVATE, true)
        .add(CKA_SENSITIVE, true)
        .add(CKA_EXTRACTABLE, false)
        .add(CKA_ENCRYPT, true)
        .add(CKA_DECRYPT, true)
        .add(CKA_SIGN, false)
        .add(CKA_VERIFY, false)
        .add(CKA_WRAP, false)
        .add(CKA_UNWRAP, false)
        .add(CKA_DERIVE, false)
        .add_bytes(CKA_ID, id)
        .add_text(CKA_LABEL, label);
    CK_MECHANISM mech{CKM_AES_KEY_GEN, nullptr, 0};
    m_impl->with_session([&](const Session& s) {
        CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
        check_ckr(m_impl->fn().C_GenerateKey(s.handle, &mech, t.data(), t.size(), &h), "C_GenerateKey (AES)");
    });
    return id;
}

std::vector<ObjectInfo> Token::objects() const {
    return m_impl->with_session([&](const Session& s) {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        Template all;
        std::vector<ObjectInfo> out;
        for (const CK_OBJECT_HANDLE o : find_objects(f, s.handle, all)) {
            out.push_back(read_object(f, s.handle, o));
        }
        return out;
    });
}

std::optional<ObjectInfo> Token::find(ObjectClass c, ByteView id) const {
    const CK_OBJECT_CLASS cls = ck_class(c);
    return m_impl->with_session([&](const Session& s) -> std::optional<ObjectInfo> {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        Template match;
        match.add_ulong(CKA_CLASS, cls).add_bytes(CKA_ID, id);
        const auto found = find_objects(f, s.handle, match, 1);
        if (found.empty()) {
            return std::nullopt;
        }
        return read_object(f, s.handle, found.front());
    });
}

std::optional<Bytes> Token::find_id_by_label(ObjectClass c, std::string_view label) const {
    const CK_OBJECT_CLASS cls = ck_class(c);
    return m_impl->with_session([&](const Session& s) -> std::optional<Bytes> {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        Template match;
        match.add_ulong(CKA_CLASS, cls).add_text(CKA_LABEL, label);
        const auto found = find_objects(f, s.handle, match, 1);
        if (found.empty()) {
            return std::nullopt;
        }
        return get_attribute(f, s.handle, found.front(), CKA_ID).value_or(Bytes{});
    });
}

Bytes Token::public_key_spki(ByteView id) const {
    const Bytes spki = m_impl->with_session([&](const Session& s) {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        const auto key = m_impl->resolve(s, id, CKO_PUBLIC_KEY);
        const auto attr = [&](CK_ATTRIBUTE_TYPE t, std::string_view what) {
            auto v = get_attribute(f, s.handle, key.handle, t);
            require(v.has_value() && !v->empty(), Errc::HsmFailure,
                    std::string{"public key without "} + std::string{what});
            return std::move(*v);
        };
        der::Writer w;
        if (key.key_type == CKK_RSA) {
            const Bytes n = attr(CKA_MODULUS, "CKA_MODULUS");
            const Bytes e = attr(CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT");
            der::Writer rsa;
            rsa.sequence([&](der::Writer& k) { k.integer_unsigned(n).integer_unsigned(e); });
            w.sequence([&](der::Writer& spk) {
                spk.sequence([&](der::Writer& alg) { alg.oid(kRsaEncryption).null(); });
                spk.bit_string(rsa.bytes());
            });
        } else if (key.key_type == CKK_EC) {
            const Bytes params = attr(CKA_EC_PARAMS, "CKA_EC_PARAMS");
            const auto curve = curve_of(params);
            require(curve.has_value(), Errc::UnsupportedAlgorithm,
                    "EC key on a curve inkan does not support");
            const Bytes point =
                unwrap_ec_point(attr(CKA_EC_POINT, "CKA_EC_POINT"), crypto::spec(*curve).field_bytes);
            w.sequence([&](der::Writer& spk) {
                spk.sequence([&](der::Writer& alg) { alg.oid(kEcPublicKey).oid(crypto::spec(*curve).oid); });
                spk.bit_string(point);
            });
        } else {
            throw Error{Errc::UnsupportedAlgorithm, "public key of type " + key_type_name(key.key_type)};
        }
        return w.take();
    });
    try {
        (void)crypto::PublicKey::from_spki(spki);  // what we built must parse as a key
    } catch (const Error& e) {
        throw Error{Errc::HsmFailure, std::string{"token returned an unusable public key: "} + e.what()};
    }
    return spki;
}

Bytes Token::sign(ByteView key_id, const crypto::SignatureAlgorithm& alg, ByteView digest) {
    PreparedSign p;
    prepare_sign(alg, digest, p);  // length and scheme checks before the HSM is asked
    Bytes raw = m_impl->with_session([&](const Session& s) {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        const auto key = m_impl->resolve(s, key_id, CKO_PRIVATE_KEY);
        if (key.key_type != p.row->ck_key_type) {
            throw Error{Errc::UnsupportedAlgorithm, std::string{crypto::name(alg)} + " does not fit a " +
                                                        key_type_name(key.key_type) + " key"};
        }
        CK_RV rv = f.C_SignInit(s.handle, &p.mechanism, key.handle);
        if (rv == CKR_ARGUMENTS_BAD && p.row->pss_params) {
            // SoftHSM answers PSS parameters it does not implement (e.g. SHA-3) with ARGUMENTS_BAD.
            throw_ckr(rv, "C_SignInit (" + std::string{crypto::name(alg)} + ")", Errc::UnsupportedAlgorithm);
        }
        check_ckr(rv, "C_SignInit (" + std::string{crypto::name(alg)} + ")");
        CK_ULONG len = 0;
        check_ckr(f.C_Sign(s.handle, p.input.data(), p.input.size(), nullptr, &len), "C_Sign (length)");
        Bytes sig(len);
        check_ckr(f.C_Sign(s.handle, p.input.data(), p.input.size(), sig.data(), &len), "C_Sign");
        sig.resize(len);
        return sig;
    });
    return finish_sign(*p.row, std::move(raw));
}

namespace {

struct GcmParams {
    Bytes iv;
    Bytes aad;
    CK_GCM_PARAMS params{};
    CK_MECHANISM mechanism{};
    GcmParams(ByteView iv_in, ByteView aad_in) : iv{to_bytes(iv_in)}, aad{to_bytes(aad_in)} {
        params.pIv = iv.data();
        params.ulIvLen = iv.size();
        params.ulIvBits = iv.size() * 8;
        params.pAAD = aad.empty() ? nullptr : aad.data();
        params.ulAADLen = aad.size();
        params.ulTagBits = kGcmTagBytes * 8;
        mechanism = CK_MECHANISM{CKM_AES_GCM, &params, sizeof params};
    }
    GcmParams(const GcmParams&) = delete;
    GcmParams& operator=(const GcmParams&) = delete;
};

/// Some modules (SoftHSM) refuse a null data pointer even with length 0.
CK_BYTE* non_null(Bytes& b) {
    static CK_BYTE empty = 0;
    return b.empty() ? &empty : b.data();
}

void require_aes(const Token::Impl::KeyRef& key) {
    require(key.key_type == CKK_AES, Errc::UnsupportedAlgorithm,
            "AES-GCM needs an AES key, not " + key_type_name(key.key_type));
}

}  // namespace

Bytes Token::encrypt_aes_gcm(ByteView key_id, ByteView plaintext, ByteView aad) {
    const Bytes iv = crypto::random_bytes(kGcmIvBytes);
    GcmParams gcm{iv, aad};
    Bytes in = to_bytes(plaintext);
    Bytes ct = m_impl->with_session([&](const Session& s) {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        const auto key = m_impl->resolve(s, key_id, CKO_SECRET_KEY);
        require_aes(key);
        check_ckr(f.C_EncryptInit(s.handle, &gcm.mechanism, key.handle), "C_EncryptInit (AES-GCM)");
        CK_ULONG len = 0;
        check_ckr(f.C_Encrypt(s.handle, non_null(in), in.size(), nullptr, &len), "C_Encrypt (length)");
        Bytes out(len);
        check_ckr(f.C_Encrypt(s.handle, non_null(in), in.size(), out.data(), &len), "C_Encrypt");
        out.resize(len);
        return out;
    });
    Bytes sealed = iv;
    append(sealed, ct);
    return sealed;
}

Bytes Token::decrypt_aes_gcm(ByteView key_id, ByteView sealed, ByteView aad) {
    require(sealed.size() >= kGcmIvBytes + kGcmTagBytes, Errc::InvalidAuthData,
            "AES-GCM data shorter than an IV and a tag");
    GcmParams gcm{sealed.first(kGcmIvBytes), aad};
    Bytes in = to_bytes(sealed.subspan(kGcmIvBytes));
    return m_impl->with_session([&](const Session& s) {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        const auto key = m_impl->resolve(s, key_id, CKO_SECRET_KEY);
        require_aes(key);
        check_ckr(f.C_DecryptInit(s.handle, &gcm.mechanism, key.handle), "C_DecryptInit (AES-GCM)");
        CK_ULONG len = 0;
        check_ckr(f.C_Decrypt(s.handle, in.data(), in.size(), nullptr, &len), "C_Decrypt (length)");
        Bytes out(std::max<CK_ULONG>(len, 1));
        len = out.size();
        const CK_RV rv = f.C_Decrypt(s.handle, in.data(), in.size(), out.data(), &len);
        if (rv == CKR_GENERAL_ERROR || rv == CKR_FUNCTION_FAILED) {
            // SoftHSM 2.6 reports a GCM tag mismatch as CKR_GENERAL_ERROR rather than
            // CKR_ENCRYPTED_DATA_INVALID (which errc_from_ckr maps to InvalidAuthData already).
            throw_ckr(rv, "C_Decrypt (AES-GCM, tag not verified)", Errc::InvalidAuthData);
        }
        check_ckr(rv, "C_Decrypt (AES-GCM)");
        out.resize(len);
        return out;
    });
}

void Token::destroy_key(ByteView id) {
    m_impl->with_session([&](const Session& s) {
        const CK_FUNCTION_LIST& f = m_impl->fn();
        Template match;
        match.add_bytes(CKA_ID, id);
        std::size_t destroyed = 0;
        for (const CK_OBJECT_HANDLE o : find_objects(f, s.handle, match)) {
            const auto cls = get_ulong(f, s.handle, o, CKA_CLASS);
            if (cls == CKO_PRIVATE_KEY || cls == CKO_PUBLIC_KEY || cls == CKO_SECRET_KEY) {
                check_ckr(f.C_DestroyObject(s.handle, o), "C_DestroyObject");
                ++destroyed;
            }
        }
        m_impl->forget_key(id);
        if (destroyed == 0) {
            throw Error{Errc::NotFound,
                        "no key with this id on token '" + m_impl->config().token_label + "'"};
        }
    });
}

PoolStats Token::pool_stats() const {
    return m_impl->pool().stats();
}

// ---------------------------------------------------------------------------------------------
// Token administration

void initialize_token(const std::filesystem::path& module_path, std::string_view label, const Secret& so_pin,
                      const Secret& user_pin) {
    check_label(label, "token");
    require(label.size() <= 32, Errc::InvalidRequest, "a PKCS#11 token label has at most 32 bytes");
    require(!so_pin.empty() && !user_pin.empty(), Errc::InvalidRequest, "empty PIN");
    const auto module = open_fresh(module_path);
    const CK_FUNCTION_LIST& f = module->fn();
    const auto shared = module->shared();

    std::optional<CK_SLOT_ID> free_slot;
    for (const CK_SLOT_ID slot : slots_with_token(*module)) {
        CK_TOKEN_INFO info{};
        if (f.C_GetTokenInfo(slot, &info) != CKR_OK) {
            continue;
        }
        if ((info.flags & CKF_TOKEN_INITIALIZED) == 0) {
            free_slot = free_slot.value_or(slot);
        } else if (trim_padded(info.label, sizeof info.label) == label) {
            throw Error{Errc::Conflict, "a token labelled '" + std::string{label} + "' exists already"};
        }
    }
    if (!free_slot) {
        throw Error{Errc::HsmUnavailable, "no free (uninitialised) token in " + module->path().string()};
    }
    std::array<CK_UTF8CHAR, 32> padded{};
    padded.fill(' ');
    std::copy(label.begin(), label.end(), padded.begin());
    const auto pin_ptr = [](const Secret& s) {
        // PKCS#11 takes non-const pointers for PINs but does not write through them.
        return reinterpret_cast<CK_UTF8CHAR*>(const_cast<char*>(s.reveal().data()));
    };
    check_ckr(f.C_InitToken(*free_slot, pin_ptr(so_pin), so_pin.size(), padded.data()),
              "C_InitToken ('" + std::string{label} + "')");

    CK_SESSION_HANDLE h = CK_INVALID_HANDLE;
    CK_SLOT_ID slot = *free_slot;
    CK_RV rv = f.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
    if (rv == CKR_SLOT_ID_INVALID || rv == CKR_TOKEN_NOT_PRESENT) {
        slot = find_slot_by_label(*module, label);  // the module renumbered its slots
        rv = f.C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &h);
    }
    check_ckr(rv, "C_OpenSession (new token '" + std::string{label} + "')");
    struct Close {
        const CK_FUNCTION_LIST& f;
        CK_SESSION_HANDLE h;
        ~Close() { (void)f.C_CloseSession(h); }
    } close{f, h};
    check_ckr(f.C_Login(h, CKU_SO, pin_ptr(so_pin), so_pin.size()), "C_Login (SO)");
    rv = f.C_InitPIN(h, pin_ptr(user_pin), user_pin.size());
    (void)f.C_Logout(h);
    check_ckr(rv, "C_InitPIN");
}

std::vector<std::string> token_labels(const std::filesystem::path& module_path) {
    const auto module = open_fresh(module_path);
    const auto shared = module->shared();
    std::vector<std::string> labels;
    for (const CK_SLOT_ID slot : slots_with_token(*module)) {
        CK_TOKEN_INFO info{};
        if (module->fn().C_GetTokenInfo(slot, &info) == CKR_OK && (info.flags & CKF_TOKEN_INITIALIZED) != 0) {
            labels.push_back(trim_padded(info.label, sizeof info.label));
        }
    }
    return labels;
}

}  // namespace inkan::hsm
