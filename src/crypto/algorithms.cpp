#include <algorithm>
#include <array>
#include <cstdint>
#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/algorithms.h>
#include <inkan/crypto/der.h>

namespace inkan::crypto {

namespace {

constexpr std::string_view kOidRsaEncryption = "1.2.840.113549.1.1.1";
constexpr std::string_view kOidRsaPss = "1.2.840.113549.1.1.10";
constexpr std::string_view kOidMgf1 = "1.2.840.113549.1.1.8";
constexpr std::size_t kPssDefaultSalt = 20;  // RFC 4055 §3.1

/// Lower case without '-' and '_' ("SHA3-256" -> "sha3256").
std::string normalize(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (const char c : name) {
        if (c == '-' || c == '_') {
            continue;
        }
        out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
    }
    return out;
}

std::size_t digest_index(DigestAlgorithm alg) {
    switch (alg) {
        case DigestAlgorithm::Sha1:
            return 0;
        case DigestAlgorithm::Sha256:
            return 1;
        case DigestAlgorithm::Sha384:
            return 2;
        case DigestAlgorithm::Sha512:
            return 3;
        case DigestAlgorithm::Sha3_256:
            return 4;
        case DigestAlgorithm::Sha3_512:
            return 5;
    }
    throw Error{Errc::Internal, "unknown DigestAlgorithm " + std::to_string(static_cast<int>(alg))};
}

// ---- arbitrary-size OID arcs (2.25.<uuid> needs 128 bits) ------------------------------------

/// An unsigned integer in base 10^9 limbs, least significant first: just enough arithmetic to
/// convert between decimal text and base-128 subidentifiers.
class Arc {
public:
    static constexpr std::uint32_t kBase = 1'000'000'000;

    static Arc from_decimal(std::string_view digits) {
        Arc a;
        for (std::size_t end = digits.size(); end > 0;) {
            const std::size_t begin = end >= 9 ? end - 9 : 0;
            std::uint32_t limb = 0;
            for (std::size_t i = begin; i < end; ++i) {
                limb = limb * 10U + static_cast<std::uint32_t>(digits[i] - '0');
            }
            a.m_limbs.push_back(limb);
            end = begin;
        }
        a.trim();
        return a;
    }
    [[nodiscard]] std::string to_decimal() const {
        if (m_limbs.empty()) {
            return "0";
        }
        std::string out = std::to_string(m_limbs.back());
        for (std::size_t i = m_limbs.size() - 1; i > 0; --i) {
            const std::string limb = std::to_string(m_limbs[i - 1]);
            out.append(9 - limb.size(), '0');
            out += limb;
        }
        return out;
    }
    void mul_add(std::uint32_t mul, std::uint32_t add) {
        std::uint64_t carry = add;
        for (std::uint32_t& limb : m_limbs) {
            const std::uint64_t v = std::uint64_t{limb} * mul + carry;
            limb = static_cast<std::uint32_t>(v % kBase);
            carry = v / kBase;
        }
        while (carry != 0) {
            m_limbs.push_back(static_cast<std::uint32_t>(carry % kBase));
            carry /= kBase;
        }
        trim();
    }
    /// Divides by `d` in place and returns the remainder.
    std::uint32_t divmod(std::uint32_t d) {
        std::uint64_t rem = 0;
        for (std::size_t i = m_limbs.size(); i > 0; --i) {
            const std::uint64_t v = rem * kBase + m_limbs[i - 1];
            m_limbs[i - 1] = static_cast<std::uint32_t>(v / d);
            rem = v % d;
        }
        trim();
        return static_cast<std::uint32_t>(rem);
    }
    /// Subtracts a small value; the caller guarantees *this >= v.
    void sub(std::uint32_t v) {
        std::uint64_t borrow = v;
        for (std::uint32_t& limb : m_limbs) {
            if (borrow == 0) {
                break;
            }
            if (limb >= borrow) {
                limb = static_cast<std::uint32_t>(limb - borrow);
                borrow = 0;
            } else {
                limb = static_cast<std::uint32_t>(limb + kBase - borrow);
                borrow = 1;
            }
        }
        trim();
    }
    [[nodiscard]] bool less_than(std::uint32_t v) const {
        return m_limbs.empty() || (m_limbs.size() == 1 && m_limbs[0] < v);
    }
    [[nodiscard]] std::uint32_t small() const { return m_limbs.empty() ? 0 : m_limbs[0]; }
    [[nodiscard]] bool is_zero() const { return m_limbs.empty(); }

private:
    void trim() {
        while (!m_limbs.empty() && m_limbs.back() == 0) {
            m_limbs.pop_back();
        }
    }
    std::vector<std::uint32_t> m_limbs;
};

// A subidentifier longer than this (140 bits) is refused: it bounds the quadratic conversion.
constexpr std::size_t kMaxSubidOctets = 20;
constexpr std::size_t kMaxArcDigits = 42;

void append_subidentifier(Bytes& out, Arc value) {
    std::vector<std::uint8_t> groups;
    do {
        groups.push_back(static_cast<std::uint8_t>(value.divmod(128)));
    } while (!value.is_zero());
    for (std::size_t i = groups.size(); i > 0; --i) {
        out.push_back(static_cast<std::uint8_t>(groups[i - 1] | (i > 1 ? 0x80U : 0U)));
    }
}

[[noreturn]] void bad(std::string_view why) {
    throw Error{Errc::InvalidEncoding, "OBJECT IDENTIFIER " + std::string{why}};
}

[[noreturn]] void bad_oid(std::string_view dotted, std::string_view why) {
    throw Error{Errc::InvalidRequest, "bad OID \"" + std::string{dotted} + "\": " + std::string{why}};
}

// ---- tables --------------------------------------------------------------------------------

const std::vector<CurveSpec>& curve_specs() {
    static const std::vector<CurveSpec> kCurves{
        {Curve::P256, "P-256", "1.2.840.10045.3.1.7", "prime256v1", 32},
        {Curve::P384, "P-384", "1.3.132.0.34", "secp384r1", 48},
        {Curve::P521, "P-521", "1.3.132.0.35", "secp521r1", 66},
    };
    return kCurves;
}

void require_consistent(const SignatureAlgorithm& alg) {
    const bool ok = (alg.padding == Padding::Ecdsa) == (alg.key_type == KeyType::Ec);
    if (!ok) {
        throw Error{Errc::UnsupportedAlgorithm, std::string{name(alg)} + " does not fit a " +
                                                    (alg.key_type == KeyType::Rsa ? "RSA" : "EC") + " key"};
    }
    if (alg.padding == Padding::Pss && (!alg.pss || alg.pss->hash != alg.digest)) {
        throw Error{Errc::UnsupportedAlgorithm,
                    std::string{name(alg)} + " without matching RSASSA-PSS parameters"};
    }
}

void write_hash_identifier(der::Writer& w, DigestAlgorithm alg) {
    // Inside RSASSA-PSS-params the hash AlgorithmIdentifiers carry NULL parameters, as OpenSSL
    // writes them (RFC 4055 §2.1 requires readers to accept both NULL and absent).
    w.sequence([&](der::Writer& s) { s.oid(spec(alg).oid).null(); });
}

DigestAlgorithm read_hash_identifier(der::Reader& r) {
    der::Reader alg = r.sequence();
    const std::string oid = alg.read_oid();
    if (!alg.empty()) {
        alg.read_null();
    }
    alg.expect_end();
    const std::optional<DigestAlgorithm> d = digest_from_oid(oid);
    if (!d) {
        throw Error{Errc::UnsupportedAlgorithm, "unknown digest algorithm OID " + oid};
    }
    return *d;
}

PssParams read_pss_params(der::Reader& params) {
    PssParams p{DigestAlgorithm::Sha1, DigestAlgorithm::Sha1, kPssDefaultSalt};
    if (auto hash = params.optional_context(0)) {
        p.hash = read_hash_identifier(*hash);
        hash->expect_end();
    }
    if (auto mgf = params.optional_context(1)) {
        der::Reader mgf_alg = mgf->sequence();
        mgf->expect_end();
        const std::string oid = mgf_alg.read_oid();
        if (oid != kOidMgf1) {
            throw Error{Errc::UnsupportedAlgorithm,
                        "RSASSA-PSS mask generation function " + oid + " (only MGF1)"};
        }
        p.mgf1_hash = read_hash_identifier(mgf_alg);
        mgf_alg.expect_end();
    }
    if (auto salt = params.optional_context(2)) {
        const std::int64_t v = salt->read_integer();
        salt->expect_end();
        if (v < 0 || v > 65535) {
            throw Error{Errc::InvalidEncoding, "RSASSA-PSS salt length " + std::to_string(v)};
        }
        p.salt_length = static_cast<std::size_t>(v);
    }
    if (auto trailer = params.optional_context(3)) {
        const std::int64_t v = trailer->read_integer();
        trailer->expect_end();
        if (v != 1) {
            throw Error{Errc::UnsupportedAlgorithm, "RSASSA-PSS trailer field " + std::to_string(v)};
        }
    }
    params.expect_end();
    return p;
}

}  // namespace

// ---- digests -------------------------------------------------------------------------------

const std::vector<DigestSpec>& digest_specs() {
    static const std::vector<DigestSpec> kSpecs{
        {DigestAlgorithm::Sha1, "SHA-1", "1.3.14.3.2.26", "SHA1", 20, false},
        {DigestAlgorithm::Sha256, "SHA-256", "2.16.840.1.101.3.4.2.1", "SHA2-256", 32, true},
        {DigestAlgorithm::Sha384, "SHA-384", "2.16.840.1.101.3.4.2.2", "SHA2-384", 48, true},
        {DigestAlgorithm::Sha512, "SHA-512", "2.16.840.1.101.3.4.2.3", "SHA2-512", 64, true},
        {DigestAlgorithm::Sha3_256, "SHA3-256", "2.16.840.1.101.3.4.2.8", "SHA3-256", 32, true},
        {DigestAlgorithm::Sha3_512, "SHA3-512", "2.16.840.1.101.3.4.2.10", "SHA3-512", 64, true},
    };
    return kSpecs;
}

const DigestSpec& spec(DigestAlgorithm alg) {
    return digest_specs().at(digest_index(alg));
}

std::optional<DigestAlgorithm> digest_from_oid(std::string_view oid) {
    for (const DigestSpec& s : digest_specs()) {
        if (s.oid == oid) {
            return s.algorithm;
        }
    }
    return std::nullopt;
}

std::optional<DigestAlgorithm> digest_from_name(std::string_view name) {
    const std::string n = normalize(name);
    for (const DigestSpec& s : digest_specs()) {
        if (n == normalize(s.name) || n == normalize(s.openssl_name)) {
            return s.algorithm;
        }
    }
    return std::nullopt;
}

// ---- curves --------------------------------------------------------------------------------

const CurveSpec& spec(Curve curve) {
    for (const CurveSpec& s : curve_specs()) {
        if (s.curve == curve) {
            return s;
        }
    }
    throw Error{Errc::Internal, "unknown Curve " + std::to_string(static_cast<int>(curve))};
}

std::optional<Curve> curve_from_oid(std::string_view oid) {
    for (const CurveSpec& s : curve_specs()) {
        if (s.oid == oid) {
            return s.curve;
        }
    }
    return std::nullopt;
}

std::optional<Curve> curve_from_name(std::string_view name) {
    struct Alias {
        std::string_view name;
        Curve curve;
    };
    static constexpr std::array<Alias, 3> kSecNames{
        {{"secp256r1", Curve::P256}, {"secp384r1", Curve::P384}, {"secp521r1", Curve::P521}}};
    const std::string n = normalize(name);
    for (const CurveSpec& s : curve_specs()) {
        if (n == normalize(s.name) || n == normalize(s.openssl_name)) {
            return s.curve;
        }
    }
    for (const Alias& a : kSecNames) {
        if (n == a.name) {
            return a.curve;
        }
    }
    return std::nullopt;
}

// ---- signature algorithms ------------------------------------------------------------------

SignatureAlgorithm SignatureAlgorithm::rsa_pss(DigestAlgorithm d) {
    return rsa_pss(PssParams{d, d, digest_length(d)});
}

std::string_view name(const SignatureAlgorithm& alg) {
    // Indexed [padding][digest] in DigestAlgorithm order: string literals, valid forever.
    static constexpr std::array<std::array<std::string_view, 6>, 3> kNames{{
        {"RSA-PKCS1-SHA1", "RSA-PKCS1-SHA256", "RSA-PKCS1-SHA384", "RSA-PKCS1-SHA512", "RSA-PKCS1-SHA3-256",
         "RSA-PKCS1-SHA3-512"},
        {"RSA-PSS-SHA1", "RSA-PSS-SHA256", "RSA-PSS-SHA384", "RSA-PSS-SHA512", "RSA-PSS-SHA3-256",
         "RSA-PSS-SHA3-512"},
        {"ECDSA-SHA1", "ECDSA-SHA256", "ECDSA-SHA384", "ECDSA-SHA512", "ECDSA-SHA3-256", "ECDSA-SHA3-512"},
    }};
    std::size_t row = 0;
    switch (alg.padding) {
        case Padding::Pkcs1v15:
            row = 0;
            break;
        case Padding::Pss:
            row = 1;
            break;
        case Padding::Ecdsa:
            row = 2;
            break;
    }
    return kNames.at(row).at(digest_index(alg.digest));
}

const std::vector<SignatureOid>& signature_oids() {
    using D = DigestAlgorithm;
    static const std::vector<SignatureOid> kOids{
        {"1.2.840.113549.1.1.11", "sha256WithRSAEncryption", KeyType::Rsa, Padding::Pkcs1v15, D::Sha256},
        {"1.2.840.113549.1.1.12", "sha384WithRSAEncryption", KeyType::Rsa, Padding::Pkcs1v15, D::Sha384},
        {"1.2.840.113549.1.1.13", "sha512WithRSAEncryption", KeyType::Rsa, Padding::Pkcs1v15, D::Sha512},
        {"2.16.840.1.101.3.4.3.14", "id-rsassa-pkcs1-v1_5-with-sha3-256", KeyType::Rsa, Padding::Pkcs1v15,
         D::Sha3_256},
        {"2.16.840.1.101.3.4.3.16", "id-rsassa-pkcs1-v1_5-with-sha3-512", KeyType::Rsa, Padding::Pkcs1v15,
         D::Sha3_512},
        {kOidRsaEncryption, "rsaEncryption", KeyType::Rsa, Padding::Pkcs1v15, std::nullopt},
        {kOidRsaPss, "id-RSASSA-PSS", KeyType::Rsa, Padding::Pss, std::nullopt},
        {"1.2.840.10045.4.3.2", "ecdsa-with-SHA256", KeyType::Ec, Padding::Ecdsa, D::Sha256},
        {"1.2.840.10045.4.3.3", "ecdsa-with-SHA384", KeyType::Ec, Padding::Ecdsa, D::Sha384},
        {"1.2.840.10045.4.3.4", "ecdsa-with-SHA512", KeyType::Ec, Padding::Ecdsa, D::Sha512},
        {"2.16.840.1.101.3.4.3.10", "id-ecdsa-with-sha3-256", KeyType::Ec, Padding::Ecdsa, D::Sha3_256},
        {"2.16.840.1.101.3.4.3.12", "id-ecdsa-with-sha3-512", KeyType::Ec, Padding::Ecdsa, D::Sha3_512},
    };
    return kOids;
}

std::optional<SignatureOid> signature_oid_info(std::string_view oid) {
    for (const SignatureOid& s : signature_oids()) {
        if (s.oid == oid) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view signature_oid(const SignatureAlgorithm& alg) {
    require_consistent(alg);
    if (alg.padding == Padding::Pss) {
        return kOidRsaPss;
    }
    for (const SignatureOid& s : signature_oids()) {
        if (s.padding == alg.padding && s.digest == alg.digest) {
            return s.oid;
        }
    }
    throw Error{Errc::UnsupportedAlgorithm, "no signature algorithm OID for " + std::string{name(alg)}};
}

Bytes algorithm_identifier(const SignatureAlgorithm& alg) {
    const std::string_view oid = signature_oid(alg);
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.oid(oid);
        switch (alg.padding) {
            case Padding::Pkcs1v15:
                s.null();
                break;
            case Padding::Ecdsa:
                break;
            case Padding::Pss: {
                const PssParams& p = *alg.pss;
                // DER (X.690 §11.5) omits components equal to their DEFAULT, as OpenSSL does: only
                // SHA-1 hashes and a 20-octet salt are left out; the trailer field is always omitted.
                s.sequence([&](der::Writer& params) {
                    if (p.hash != DigestAlgorithm::Sha1) {
                        params.context(0, [&](der::Writer& c) { write_hash_identifier(c, p.hash); });
                    }
                    if (p.mgf1_hash != DigestAlgorithm::Sha1) {
                        params.context(1, [&](der::Writer& c) {
                            c.sequence([&](der::Writer& mgf) {
                                mgf.oid(kOidMgf1);
                                write_hash_identifier(mgf, p.mgf1_hash);
                            });
                        });
                    }
                    if (p.salt_length != kPssDefaultSalt) {
                        params.context(
                            2, [&](der::Writer& c) { c.integer(static_cast<std::int64_t>(p.salt_length)); });
                    }
                });
                break;
            }
        }
    });
    return w.take();
}

SignatureAlgorithm parse_algorithm_identifier(ByteView der, std::optional<DigestAlgorithm> digest_hint) {
    der::Reader top{der};
    der::Reader seq = top.sequence();
    top.expect_end();
    const std::string oid = seq.read_oid();
    const std::optional<SignatureOid> info = signature_oid_info(oid);
    if (!info) {
        throw Error{Errc::UnsupportedAlgorithm, "unknown signature algorithm OID " + oid};
    }
    switch (info->padding) {
        case Padding::Pkcs1v15: {
            // RFC 4055 §5: NULL parameters; absent ones are accepted too (RFC 8017 §A.2.4 readers).
            if (!seq.empty()) {
                seq.read_null();
            }
            seq.expect_end();
            if (info->digest) {
                return SignatureAlgorithm::rsa_pkcs1(*info->digest);
            }
            if (!digest_hint) {
                throw Error{Errc::UnsupportedAlgorithm, "rsaEncryption signature algorithm without a digest"};
            }
            return SignatureAlgorithm::rsa_pkcs1(*digest_hint);
        }
        case Padding::Ecdsa:
            // RFC 5758 §3.2: parameters absent; a NULL from older writers is tolerated.
            if (!seq.empty()) {
                seq.read_null();
            }
            seq.expect_end();
            return SignatureAlgorithm::ecdsa(*info->digest);
        case Padding::Pss: {
            PssParams p{DigestAlgorithm::Sha1, DigestAlgorithm::Sha1, kPssDefaultSalt};
            if (!seq.empty()) {
                der::Reader params = seq.sequence();
                p = read_pss_params(params);
            }
            seq.expect_end();
            return SignatureAlgorithm::rsa_pss(p);
        }
    }
    throw Error{Errc::Internal, "unreachable: padding"};
}

Bytes digest_algorithm_identifier(DigestAlgorithm alg) {
    der::Writer w;
    w.sequence([&](der::Writer& s) { s.oid(spec(alg).oid); });
    return w.take();
}

Bytes digest_info(DigestAlgorithm alg, ByteView digest) {
    const DigestSpec& d = spec(alg);
    if (digest.size() != d.length) {
        throw Error{Errc::InvalidRequest, std::string{d.name} + " digest must be " +
                                              std::to_string(d.length) + " octets, not " +
                                              std::to_string(digest.size())};
    }
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.sequence([&](der::Writer& a) { a.oid(d.oid).null(); });
        s.octet_string(digest);
    });
    return w.take();
}

// ---- OID codec -----------------------------------------------------------------------------

Bytes encode_oid_content(std::string_view dotted) {
    std::vector<std::string_view> arcs;
    for (std::size_t pos = 0;;) {
        const std::size_t dot = dotted.find('.', pos);
        arcs.push_back(
            dotted.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos));
        if (dot == std::string_view::npos) {
            break;
        }
        pos = dot + 1;
    }
    if (arcs.size() < 2) {
        bad_oid(dotted, "needs at least two arcs");
    }
    for (const std::string_view a : arcs) {
        if (a.empty() || !std::all_of(a.begin(), a.end(), [](char c) { return c >= '0' && c <= '9'; })) {
            bad_oid(dotted, "arcs must be decimal numbers");
        }
        if (a.size() > 1 && a[0] == '0') {
            bad_oid(dotted, "leading zero in an arc");
        }
        if (a.size() > kMaxArcDigits) {
            bad_oid(dotted, "arc too large");
        }
    }
    const std::string_view first = arcs[0];
    if (first.size() != 1 || first[0] > '2') {
        bad_oid(dotted, "first arc must be 0, 1 or 2");
    }
    const auto root = static_cast<std::uint32_t>(first[0] - '0');
    Arc second = Arc::from_decimal(arcs[1]);
    if (root < 2 && !second.less_than(40)) {
        bad_oid(dotted, "second arc must be below 40 under arcs 0 and 1");
    }
    second.mul_add(1, root * 40);
    Bytes out;
    append_subidentifier(out, second);
    for (std::size_t i = 2; i < arcs.size(); ++i) {
        append_subidentifier(out, Arc::from_decimal(arcs[i]));
    }
    return out;
}

std::string decode_oid_content(ByteView content) {
    if (content.empty()) {
        bad("is empty");
    }
    if ((content.back() & 0x80U) != 0) {
        bad("ends inside a subidentifier");
    }
    std::string out;
    std::size_t i = 0;
    bool first = true;
    while (i < content.size()) {
        if (content[i] == 0x80) {
            bad("subidentifier not minimally encoded");
        }
        Arc value;
        std::size_t n = 0;
        while (true) {
            const std::uint8_t b = content[i++];
            if (++n > kMaxSubidOctets) {
                bad("subidentifier too large");
            }
            value.mul_add(128, b & 0x7FU);
            if ((b & 0x80U) == 0) {
                break;
            }
        }
        if (first) {
            if (value.less_than(80)) {
                const std::uint32_t v = value.small();
                out = std::to_string(v / 40) + "." + std::to_string(v % 40);
            } else {
                value.sub(80);
                out = "2." + value.to_decimal();
            }
            first = false;
        } else {
            out += '.';
            out += value.to_decimal();
        }
    }
    return out;
}

}  // namespace inkan::crypto
