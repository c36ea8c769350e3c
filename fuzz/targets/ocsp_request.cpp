// RFC 6960 OCSPRequest as inkan's own responder reads it (pki::BuiltinCa::ocsp_response, the DER
// reader underneath): never throws for a client's bytes, and answers with an OCSPResponse that parses.
#include <inkan/crypto/der.h>
#include <inkan/pki/ca.h>

#include "../fuzz.h"
#include "../pki_env.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Bytes response = fuzz::PkiEnv::instance().ca().ocsp_response(fuzz::bytes(data, size));
    (void)der::parse_single(response);  // one well-formed TLV, whatever the request was
    return 0;
}
