// crypto::der::Reader (X.690 DER, strict): every TLV walked, every primitive read as the type its tag
// names, and what parses is written back through der::Writer::raw (which re-parses it).
#include <inkan/crypto/der.h>

#include "../fuzz.h"

namespace {

using namespace inkan;

void read_primitive(const der::Tlv& tlv) {
    der::Reader one{tlv.whole};
    fuzz::refusing([&] {
        switch (tlv.number) {
            case der::tag::Boolean:
                (void)one.read_boolean();
                break;
            case der::tag::Integer:
                fuzz::refusing([&] { (void)der::Reader{tlv.whole}.read_integer(); });
                (void)one.read_integer_unsigned();
                break;
            case der::tag::BitString:
                (void)one.read_bit_string();
                break;
            case der::tag::OctetString:
                (void)one.read_octet_string();
                break;
            case der::tag::Null:
                one.read_null();
                break;
            case der::tag::Oid:
                (void)one.read_oid();
                break;
            case der::tag::Enumerated:
                (void)one.read_enumerated();
                break;
            case der::tag::UtcTime:
            case der::tag::GeneralizedTime:
                (void)one.read_time();
                break;
            default:
                (void)one.read_string();
                break;
        }
        one.expect_end();
    });
}

void walk(der::Reader& r) {
    while (!r.empty()) {
        const std::optional<der::Tlv> peeked = r.peek();
        const der::Tlv tlv = r.next();  // throws where peek() said nothing
        if (!peeked || peeked->whole.size() != tlv.whole.size()) {
            __builtin_trap();  // peek and next must agree
        }
        if (tlv.constructed) {
            der::Reader inner = r.enter(tlv);
            walk(inner);
        } else if (tlv.cls == der::Class::Universal) {
            read_primitive(tlv);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    fuzz::refusing([&] {
        der::Reader r{in};
        walk(r);
    });
    fuzz::refusing([&] {
        const der::Tlv tlv = der::parse_single(in);
        der::Writer w;
        w.raw(tlv.whole);
        if (w.bytes().size() != in.size()) {
            __builtin_trap();  // a single TLV spanning the input is copied verbatim
        }
    });
    return 0;
}
