#include <inkan/client/csc_client.h>

#include <utility>

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/net/client.h>

#include "codec.h"

namespace inkan::client {

namespace {

std::string_view version_path(Version v) {
    return v == Version::V1 ? "/csc/v1/" : "/csc/v2/";
}

/// Wipes a request body that held a secret when the call is over, however it ends.
struct WipeOnExit {
    std::string& s;
    ~WipeOnExit() { codec::wipe(s); }
};

}  // namespace

CscUrl parse_csc_url(std::string_view url) {
    CscUrl out{std::string{url}, std::nullopt};
    while (!out.base.empty() && out.base.back() == '/') {
        out.base.pop_back();
    }
    // `inkan serve` prints the API's URLs with their version: pasting one must work as well as the base.
    for (const auto& [suffix, version] : {std::pair{std::string_view{"/csc/v1"}, Version::V1},
                                          std::pair{std::string_view{"/csc/v2"}, Version::V2}}) {
        if (out.base.size() > suffix.size() && out.base.ends_with(suffix)) {
            out.base.resize(out.base.size() - suffix.size());
            out.version = version;
            break;
        }
    }
    return out;
}

CscClient::CscClient(CscClientOptions options) : m_options{std::move(options)} {
    m_options.base_url = parse_csc_url(m_options.base_url).base;
    (void)net::Url::parse(m_options.base_url + "/");  // Errc::InvalidRequest for a bad URL
}

std::string CscClient::call(const std::string& method, const std::string& json, bool bearer) {
    net::RequestOptions o;
    o.timeout = m_options.timeout;
    o.max_response_bytes = m_options.max_response_bytes;
    o.ca_file = m_options.ca_file;
    std::string authorization;
    if (bearer) {
        require(!m_token.empty(), Errc::Unauthenticated, "csc: " + method + " needs a login first");
        authorization = "Bearer " + std::string{m_token.reveal()};
        o.headers.emplace_back("Authorization", authorization);
    }
    const net::Response r =
        net::post(m_options.base_url + std::string{version_path(m_options.version)} + method,
                  "application/json", as_bytes(json), o);
    codec::wipe(authorization);
    for (auto& [name, value] : o.headers) {
        codec::wipe(value);
    }
    std::string body = to_string(r.body);
    if (r.status < 200 || r.status >= 300) {
        Error e = codec::error_from(r.status, body);
        throw Error{e.code(), "csc " + method + ": " + e.detail()};
    }
    return body;
}

ServiceInfo CscClient::info() {
    return codec::decode_info(call("info", "{}", false));
}

void CscClient::login(const std::string& user, const Secret& password) {
    net::RequestOptions o;
    o.timeout = m_options.timeout;
    o.ca_file = m_options.ca_file;
    o.basic_auth = net::BasicAuth{user, password.clone()};
    const net::Response r =
        net::post(m_options.base_url + std::string{version_path(m_options.version)} + "auth/login",
                  "application/json", as_bytes(std::string_view{"{}"}), o);
    const std::string body = to_string(r.body);
    if (r.status < 200 || r.status >= 300) {
        Error e = codec::error_from(r.status, body);
        throw Error{e.code(), "csc auth/login: " + e.detail()};
    }
    m_token = codec::decode_access_token(body);
}

std::vector<std::string> CscClient::list_credentials() {
    return codec::decode_credential_ids(call("credentials/list", "{}"));
}

CredentialInfo CscClient::credential_info(const std::string& credential_id) {
    nlohmann::json j{{"credentialID", credential_id}, {"certificates", "chain"}, {"certInfo", true}};
    if (m_options.version == Version::V2) {
        j["authInfo"] = true;
    }
    return codec::decode_credential_info(m_options.version, credential_id,
                                         call("credentials/info", j.dump()));
}

Sad CscClient::authorize(const std::string& credential_id, const std::vector<Bytes>& hashes,
                         crypto::DigestAlgorithm hash_algorithm, const Factors& factors, int num_signatures) {
    std::string body = codec::encode_authorize(m_options.version, credential_id, hashes, hash_algorithm,
                                               factors, num_signatures);
    const WipeOnExit wipe{body};
    return codec::decode_sad(call("credentials/authorize", body));
}

std::vector<Bytes> CscClient::sign_hash(const std::string& credential_id, const Secret& sad,
                                        const std::vector<Bytes>& hashes,
                                        const crypto::SignatureAlgorithm& algorithm) {
    std::string body = codec::encode_sign_hash(m_options.version, credential_id, sad, hashes, algorithm);
    const WipeOnExit wipe{body};
    std::vector<Bytes> out = codec::decode_signatures(call("signatures/signHash", body));
    require(out.size() == hashes.size(), Errc::InvalidEncoding,
            "csc signatures/signHash: " + std::to_string(out.size()) + " signatures for " +
                std::to_string(hashes.size()) + " hashes");
    return out;
}

Bytes CscClient::timestamp(crypto::DigestAlgorithm alg, ByteView hash) {
    const nlohmann::json j{{"hash", base64_encode(hash)}, {"hashAlgo", std::string{crypto::spec(alg).oid}}};
    return codec::decode_timestamp(call("signatures/timestamp", j.dump()));
}

SignDocResult CscClient::sign_doc(const std::string& credential_id, const Secret& sad,
                                  const std::vector<SignDocEntry>& entries, bool return_validation_info) {
    require(m_options.version == Version::V2, Errc::InvalidRequest, "csc: signDoc is a CSC v2 method");
    std::string body = codec::encode_sign_doc(credential_id, sad, entries, return_validation_info);
    const WipeOnExit wipe{body};
    return codec::decode_sign_doc(call("signatures/signDoc", body));
}

}  // namespace inkan::client
