// RFC 3161 TimeStampReq: tsp::parse_request, the encoder round trip, and the whole TSA answer
// (tsp::Authority::respond, which must never throw for a client's bytes) on an in-memory inkan PKI.
#include <inkan/tsp/authority.h>
#include <inkan/tsp/codec.h>

#include "../fuzz.h"
#include "../pki_env.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    fuzz::refusing([&] {
        const tsp::TimeStampReq req = tsp::parse_request(in);
        (void)req.imprint.algorithm();
        const tsp::TimeStampReq again = tsp::parse_request(tsp::encode_request(req));
        if (again.imprint.der != req.imprint.der || again.nonce != req.nonce || again.policy != req.policy) {
            __builtin_trap();  // encode(parse(x)) must parse to the same request
        }
    });
    const Bytes response = fuzz::PkiEnv::instance().tsa().respond(in);  // never throws for bad input
    (void)tsp::parse_response(response);                                // and what it says parses
    return 0;
}
