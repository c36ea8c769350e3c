// cms::parse (ContentInfo/SignedData, RFC 5652) and what inkan does with the result: every SignerInfo's
// attributes, message digest, signer certificate lookup, counter-signatures (parse_signer_info) and
// the unsigned-attribute rewrite used to add time-stamps.
#include <inkan/cms/signed_data.h>

#include "../fuzz.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    fuzz::refusing([&] { (void)cms::parse_signer_info(in); });
    fuzz::refusing([&] {
        const cms::SignedData sd = cms::parse(in);
        for (std::size_t i = 0; i < sd.signer_infos.size(); ++i) {
            const cms::SignerInfo& si = sd.signer_infos[i];
            (void)si.signed_attributes_for_signature();
            fuzz::refusing([&] { (void)si.message_digest(); });
            fuzz::refusing([&] { (void)cms::find_signer_certificate(sd, i); });
            // id-countersignature (RFC 5652 §11.4)
            if (const Bytes* counter = si.unsigned_attribute("1.2.840.113549.1.9.6")) {
                fuzz::refusing([&] { (void)cms::parse_signer_info(*counter); });
            }
            std::optional<Bytes> extended;
            fuzz::refusing([&] {
                extended = cms::add_unsigned_attribute(in, i, {"1.2.3.4", {Bytes{0x05, 0x00}}});
            });
            if (extended) {
                (void)cms::parse(*extended);  // what inkan wrote from a parsed CMS, it must read back
            }
        }
    });
    return 0;
}
