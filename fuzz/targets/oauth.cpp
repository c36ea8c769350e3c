// The OAuth 2.0 form bodies (application/x-www-form-urlencoded: oauth2/authorize POST,
// pushed_authorize, token, revoke) as the api layer decodes them, v1 and v2, with and without an
// HTTP Basic header; and the CSC v1 §8.3.1 account_token reader. The input is used as a form body, as
// an account_token as it is, and, when it has exactly one '.', as "header.claims" with a valid
// HMAC-SHA-256 appended, so the claims reader is reached past the signature check.
#include <openssl/evp.h>

#include <inkan/core/encoding.h>

#include "account_token.h"
#include "oauth_routes.h"
#include "wire.h"

#include "../fuzz.h"

using namespace inkan;
using namespace inkan::api;
using namespace inkan::api::detail;

namespace {

/// The key the seed generator signs its account_tokens with (SHA-256 of a client secret in inkan).
constexpr std::string_view kKey = "inkan fuzz account_token key 32";

template <class F>
void refusing_wire(F&& f) {
    try {
        f();
    } catch (const Error&) {
    } catch (const WireError&) {
    }
}

void account_token(std::string_view token) {
    const ByteView key{reinterpret_cast<const std::uint8_t*>(kKey.data()), kKey.size()};
    service::detail::AccountTokenClaims claims;
    (void)service::detail::read_account_token(token, key, claims);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::text(data, size);
    http::Request r;
    r.method = "POST";
    r.headers.add("Content-Type", "application/x-www-form-urlencoded");
    r.body = std::string{text};
    for (const Version v : {Version::V1, Version::V2}) {
        refusing_wire([&] {
            const service::AuthorizationParams p = decode_authorization_form(v, r);
            account_token(p.account_token);
        });
    }
    refusing_wire([&] { (void)decode_client_authentication(r); });
    http::Request basic = r;
    basic.headers.add("Authorization", "Basic " + base64_encode(fuzz::bytes(data, size)));
    refusing_wire([&] { (void)decode_client_authentication(basic); });

    account_token(text);
    if (std::count(text.begin(), text.end(), '.') == 1) {
        unsigned char mac[32];
        std::size_t length = 0;
        if (::EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, kKey.data(), kKey.size(), data, size,
                        mac, sizeof mac, &length) != nullptr) {
            account_token(std::string{text} + "." + base64url_encode(ByteView{mac, length}));
        }
    }
    return 0;
}
