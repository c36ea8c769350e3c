#include <inkan/tsp/codec.h>

#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/der.h>

namespace inkan::tsp {

namespace {

Bytes whole(const der::Tlv& t) {
    return {t.whole.begin(), t.whole.end()};
}

MessageImprint read_imprint(der::Reader& r) {
    const der::Tlv t = r.expect(der::Class::Universal, der::tag::Sequence);
    der::Reader s = r.enter(t);
    MessageImprint mi;
    der::Reader alg = s.sequence();
    mi.hash_oid = alg.read_oid();
    if (!alg.empty()) {
        alg.read_null();  // RFC 5754 §2: absent or NULL
    }
    alg.expect_end();
    mi.hashed_message = s.read_octet_string();
    s.expect_end();
    mi.der = whole(t);
    return mi;
}

/// The content octets of a DER INTEGER (for the IMPLICIT [0]/[1] of Accuracy).
Bytes integer_content(std::int64_t v) {
    der::Writer w;
    w.integer(v);
    const Bytes tlv = w.take();
    return {tlv.begin() + 2, tlv.end()};
}

std::int64_t implicit_integer(const der::Tlv& t) {
    // Re-tag as a universal INTEGER and read it with the strict reader.
    Bytes tlv = whole(t);
    tlv[0] = 0x02;
    der::Reader r{tlv};
    return r.read_integer();
}

}  // namespace

std::optional<crypto::DigestAlgorithm> MessageImprint::algorithm() const {
    return crypto::digest_from_oid(hash_oid);
}

MessageImprint make_imprint(crypto::DigestAlgorithm alg, ByteView digest) {
    require(digest.size() == crypto::digest_length(alg), Errc::InvalidRequest,
            "the digest has the wrong length for " + std::string{crypto::spec(alg).name});
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.raw(crypto::digest_algorithm_identifier(alg));
        s.octet_string(digest);
    });
    MessageImprint mi;
    mi.hash_oid = std::string{crypto::spec(alg).oid};
    mi.hashed_message = Bytes{digest.begin(), digest.end()};
    mi.der = w.take();
    return mi;
}

Bytes encode_request(const TimeStampReq& req) {
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.integer(req.version);
        s.raw(req.imprint.der);
        if (req.policy) {
            s.oid(*req.policy);
        }
        if (req.nonce) {
            s.integer_unsigned(*req.nonce);
        }
        if (req.cert_req) {
            s.boolean(true);  // DEFAULT FALSE: left out when false (X.690 §11.5)
        }
    });
    return w.take();
}

TimeStampReq parse_request(ByteView der) {
    der::Reader top{der};
    der::Reader s = top.sequence();
    top.expect_end();
    TimeStampReq req;
    req.version = s.read_integer();
    req.imprint = read_imprint(s);
    if (const auto t = s.peek(); t && t->is_universal(der::tag::Oid)) {
        req.policy = s.read_oid();
    }
    if (const auto t = s.peek(); t && t->is_universal(der::tag::Integer)) {
        req.nonce = s.read_integer_unsigned();
    }
    if (const auto t = s.peek(); t && t->is_universal(der::tag::Boolean)) {
        req.cert_req = s.read_boolean();
    }
    if (const auto t = s.peek(); t && t->is_context(0)) {
        (void)s.next();
        req.has_extensions = true;
    }
    s.expect_end();
    return req;
}

std::string_view name(PkiStatus status) {
    switch (status) {
        case PkiStatus::Granted:
            return "granted";
        case PkiStatus::GrantedWithMods:
            return "grantedWithMods";
        case PkiStatus::Rejection:
            return "rejection";
        case PkiStatus::Waiting:
            return "waiting";
        case PkiStatus::RevocationWarning:
            return "revocationWarning";
        case PkiStatus::RevocationNotification:
            return "revocationNotification";
    }
    return "unknown";
}

/// No default: -Wswitch (an error under INKAN_WERROR) makes a new Errc update this table.
std::optional<FailureInfo> fail_info_for(Errc code) noexcept {
    switch (code) {
        case Errc::InvalidRequest:
        case Errc::PayloadTooLarge:
            return FailureInfo::BadRequest;
        case Errc::InvalidEncoding:
            return FailureInfo::BadDataFormat;
        case Errc::UnsupportedAlgorithm:
            return FailureInfo::BadAlg;
        case Errc::Unauthenticated:
        case Errc::Forbidden:
        case Errc::NotFound:
        case Errc::InvalidAuthData:
        case Errc::Locked:
        case Errc::Conflict:
            return std::nullopt;
        case Errc::Internal:
        case Errc::InvalidConfig:
        case Errc::HsmUnavailable:
        case Errc::HsmFailure:
        case Errc::CryptoFailure:
        case Errc::StorageFailure:
        case Errc::IoFailure:
        case Errc::Unavailable:
            return FailureInfo::SystemFailure;
    }
    return FailureInfo::SystemFailure;
}

std::string_view name(FailureInfo info) {
    switch (info) {
        case FailureInfo::BadAlg:
            return "badAlg";
        case FailureInfo::BadRequest:
            return "badRequest";
        case FailureInfo::BadDataFormat:
            return "badDataFormat";
        case FailureInfo::TimeNotAvailable:
            return "timeNotAvailable";
        case FailureInfo::UnacceptedPolicy:
            return "unacceptedPolicy";
        case FailureInfo::UnacceptedExtension:
            return "unacceptedExtension";
        case FailureInfo::AddInfoNotAvailable:
            return "addInfoNotAvailable";
        case FailureInfo::SystemFailure:
            return "systemFailure";
    }
    return "unknown";
}

Bytes encode_response(const TimeStampResp& resp) {
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.sequence([&](der::Writer& info) {
            info.integer(static_cast<std::int64_t>(resp.status));
            if (resp.status_string) {
                info.sequence([&](der::Writer& text) { text.utf8_string(*resp.status_string); });
            }
            if (resp.fail_info) {
                info.named_bits(1U << static_cast<unsigned>(*resp.fail_info));
            }
        });
        if (resp.token) {
            s.raw(*resp.token);
        }
    });
    return w.take();
}

TimeStampResp parse_response(ByteView der) {
    der::Reader top{der};
    der::Reader s = top.sequence();
    top.expect_end();
    TimeStampResp resp;
    der::Reader info = s.sequence();
    const std::int64_t status = info.read_integer();
    require(status >= 0 && status <= 5, Errc::InvalidEncoding, "PKIStatus out of range");
    resp.status = static_cast<PkiStatus>(status);
    if (const auto t = info.peek(); t && t->is_universal(der::tag::Sequence)) {
        der::Reader text = info.sequence();
        if (!text.empty()) {
            resp.status_string = text.read_string();
        }
    }
    if (const auto t = info.peek(); t && t->is_universal(der::tag::BitString)) {
        const der::Tlv bits = info.next();
        require(!bits.content.empty() && bits.content[0] < 8, Errc::InvalidEncoding, "bad PKIFailureInfo");
        for (std::size_t i = 1; i < bits.content.size() && !resp.fail_info; ++i) {
            for (int b = 0; b < 8; ++b) {
                if ((bits.content[i] & (0x80U >> b)) != 0) {
                    resp.fail_info = static_cast<FailureInfo>((i - 1) * 8 + static_cast<std::size_t>(b));
                    break;
                }
            }
        }
    }
    info.expect_end();
    if (!s.empty()) {
        resp.token = whole(s.expect(der::Class::Universal, der::tag::Sequence));
    }
    s.expect_end();
    return resp;
}

Accuracy Accuracy::from(std::chrono::microseconds d) {
    const auto us = d.count() < 0 ? 0 : d.count();
    Accuracy a;
    a.seconds = us / 1'000'000;
    a.millis = static_cast<int>((us / 1000) % 1000);
    a.micros = static_cast<int>(us % 1000);
    return a;
}

std::chrono::microseconds Accuracy::duration() const {
    return std::chrono::seconds{seconds} + std::chrono::milliseconds{millis} +
           std::chrono::microseconds{micros};
}

Bytes encode_tst_info(const TstInfo& info, int fraction_digits) {
    der::Writer w;
    w.sequence([&](der::Writer& s) {
        s.integer(info.version);
        s.oid(info.policy);
        s.raw(info.imprint.der);
        s.integer_unsigned(info.serial);
        s.generalized_time(info.gen_time, fraction_digits);
        if (info.accuracy && info.accuracy->duration().count() > 0) {
            const Accuracy& a = *info.accuracy;
            s.sequence([&](der::Writer& acc) {
                // Each field only when non-zero (millis and micros are 1..999 by the ASN.1).
                if (a.seconds > 0) {
                    acc.integer(a.seconds);
                }
                if (a.millis > 0) {
                    acc.primitive(der::Class::Context, 0, integer_content(a.millis));
                }
                if (a.micros > 0) {
                    acc.primitive(der::Class::Context, 1, integer_content(a.micros));
                }
            });
        }
        if (info.ordering) {
            s.boolean(true);
        }
        if (info.nonce) {
            s.integer_unsigned(*info.nonce);
        }
    });
    return w.take();
}

TstInfo parse_tst_info(ByteView der) {
    der::Reader top{der};
    der::Reader s = top.sequence();
    top.expect_end();
    TstInfo info;
    info.version = s.read_integer();
    info.policy = s.read_oid();
    info.imprint = read_imprint(s);
    info.serial = s.read_integer_unsigned();
    info.gen_time = s.read_time();
    if (const auto t = s.peek(); t && t->is_universal(der::tag::Sequence)) {
        der::Reader acc = s.sequence();
        Accuracy a;
        if (const auto f = acc.peek(); f && f->is_universal(der::tag::Integer)) {
            a.seconds = acc.read_integer();
        }
        if (auto f = acc.optional(der::Class::Context, 0)) {
            a.millis = static_cast<int>(implicit_integer(*f));
        }
        if (auto f = acc.optional(der::Class::Context, 1)) {
            a.micros = static_cast<int>(implicit_integer(*f));
        }
        acc.expect_end();
        info.accuracy = a;
    }
    if (const auto t = s.peek(); t && t->is_universal(der::tag::Boolean)) {
        info.ordering = s.read_boolean();
    }
    if (const auto t = s.peek(); t && t->is_universal(der::tag::Integer)) {
        info.nonce = s.read_integer_unsigned();
    }
    // tsa [0] and extensions [1] are allowed; inkan does not interpret them.
    while (!s.empty()) {
        const der::Tlv t = s.next();
        require(t.is_context(0) || t.is_context(1), Errc::InvalidEncoding, "unexpected field in TSTInfo");
    }
    return info;
}

Bytes magnitude(std::uint64_t v) {
    Bytes out;
    for (int shift = 56; shift >= 0; shift -= 8) {
        const auto b = static_cast<std::uint8_t>(v >> shift);
        if (!out.empty() || b != 0) {
            out.push_back(b);
        }
    }
    if (out.empty()) {
        out.push_back(0);
    }
    return out;
}

}  // namespace inkan::tsp
