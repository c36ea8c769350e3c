// RFC 3161 TimeStampResp as a client receives it: tsp::parse_response, the token's SignedData and its
// TSTInfo (tsp::parse_tst_info), and tsp::check_token against the in-memory inkan PKI's root.
#include <inkan/cms/signed_data.h>
#include <inkan/tsp/client.h>
#include <inkan/tsp/codec.h>

#include "../fuzz.h"
#include "../pki_env.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    fuzz::refusing([&] { (void)tsp::parse_tst_info(in); });
    fuzz::refusing([&] {
        const tsp::TimeStampResp resp = tsp::parse_response(in);
        (void)tsp::name(resp.status);
        if (resp.fail_info) {
            (void)tsp::name(*resp.fail_info);
        }
        if (!resp.token) {
            return;
        }
        fuzz::refusing([&] {
            const cms::SignedData sd = cms::parse(*resp.token);
            if (sd.content) {
                (void)tsp::parse_tst_info(*sd.content);
            }
        });
        fuzz::PkiEnv& env = fuzz::PkiEnv::instance();
        (void)tsp::check_response(in, env.request(), {env.root_der()});
    });
    return 0;
}
