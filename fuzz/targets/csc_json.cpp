// The CSC API request bodies (v1 and v2): api::detail::JsonBody (strict JSON, no duplicate members)
// and every route's DTO decoder, each on a fresh parse of the same body (some move secrets out).
// Bad input may end in an inkan::Error or a WireError (the CSC error the client sees), nothing else.
#include <functional>

#include "codec.h"
#include "json_body.h"
#include "wire.h"

#include "../fuzz.h"

using namespace inkan;
using namespace inkan::api;
using namespace inkan::api::detail;

namespace {

void decode(std::string_view body, const std::function<void(JsonBody&)>& f) {
    try {
        JsonBody b = JsonBody::parse(body);
        b.check_common();
        f(b);
    } catch (const Error&) {
    } catch (const WireError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = fuzz::text(data, size);
    const Secret bearer{std::string_view{"credential-scope-token"}};
    http::Request login;
    login.method = "POST";
    login.body = std::string{body};
    decode(body, [&](JsonBody& b) { (void)decode_login(login, b); });
    login.headers.add("Authorization", "Basic dXNlcjpwYXNzd29yZA==");
    decode(body, [&](JsonBody& b) { (void)decode_login(login, b); });
    decode(body, [](JsonBody& b) { (void)decode_revoke(b); });
    for (const Version v : {Version::V1, Version::V2}) {
        decode(body, [v](JsonBody& b) { (void)decode_list(v, b); });
        decode(body, [v](JsonBody& b) { (void)decode_authorize(v, b); });
        decode(body, [v](JsonBody& b) { (void)decode_extend(v, b); });
        decode(body, [v](JsonBody& b) { (void)decode_sign_hash(v, b); });
        decode(body, [v, &bearer](JsonBody& b) { (void)decode_sign_hash(v, b, &bearer); });
    }
    decode(body, [](JsonBody& b) { (void)decode_credential_info(b); });
    decode(body, [](JsonBody& b) { (void)decode_sign_doc(b); });
    decode(body, [&bearer](JsonBody& b) { (void)decode_sign_doc(b, &bearer); });
    decode(body, [](JsonBody& b) { (void)decode_extend_documents(b); });
    decode(body, [](JsonBody& b) { (void)decode_challenge(b); });
    return 0;
}
