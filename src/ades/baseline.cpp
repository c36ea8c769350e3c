#include <inkan/ades/baseline.h>

#include <string>

#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>

namespace inkan::ades {

std::string_view name(Level level) {
    switch (level) {
        case Level::BB:
            return "B-B";
        case Level::BT:
            return "B-T";
        case Level::BLT:
            return "B-LT";
        case Level::BLTA:
            return "B-LTA";
    }
    return "unknown";
}

Bytes add_signature_time_stamp(ByteView content_info_der, TimeStamper& stamper, std::size_t index) {
    const cms::SignedData sd = cms::parse(content_info_der);
    require(index < sd.signer_infos.size(), Errc::InvalidRequest,
            "ades: the CMS has no SignerInfo " + std::to_string(index));
    const cms::SignerInfo& si = sd.signer_infos[index];
    // RFC 3161 App. A / EN 319 122-1 §5.3: the imprint covers the signature value octets only (not
    // the OCTET STRING's tag and length, not the SignerInfo).
    const Bytes token = stamper.stamp(si.digest_algorithm, crypto::digest(si.digest_algorithm, si.signature));
    return cms::add_unsigned_attribute(content_info_der, index,
                                       {std::string{cms::oid::kSignatureTimeStampToken}, {token}});
}

std::size_t max_signature_size(const crypto::PublicKey& key) {
    if (key.type() == crypto::KeyType::Rsa) {
        return (key.bits() + 7) / 8;
    }
    // ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 5753 §3): each integer at most the
    // field length plus a sign octet, with a two-octet header.
    const std::size_t field = (key.bits() + 7) / 8;
    const std::size_t content = 2 * (field + 1 + 2);
    return content + (content < 128 ? 2 : 3);
}

}  // namespace inkan::ades
