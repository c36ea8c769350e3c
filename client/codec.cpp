#include "codec.h"

#include <nlohmann/json.hpp>

#include <inkan/core/encoding.h>
#include <inkan/crypto/der.h>

namespace inkan::client {

std::pair<std::string, Bytes> sign_algo(const crypto::SignatureAlgorithm& alg) {
    std::string oid{crypto::signature_oid(alg)};
    if (alg.padding != crypto::Padding::Pss) {
        return {std::move(oid), {}};
    }
    // signAlgoParams is the DER RSASSA-PSS-params (RFC 8017 A.2.3): the AlgorithmIdentifier's
    // parameters, i.e. what follows the OID inside it.
    const Bytes id = crypto::algorithm_identifier(alg);
    der::Reader outer{id};
    der::Reader seq = outer.sequence();
    (void)seq.read_oid();
    const der::Tlv params = seq.next();
    return {std::move(oid), Bytes{params.whole.begin(), params.whole.end()}};
}

namespace codec {

namespace {

using json = nlohmann::json;

json parse(std::string_view body, const char* what) {
    try {
        json j = json::parse(body);
        if (!j.is_object()) {
            throw Error{Errc::InvalidEncoding,
                        std::string{"csc: the "} + what + " answer is not a JSON object"};
        }
        return j;
    } catch (const json::exception&) {
        throw Error{Errc::InvalidEncoding, std::string{"csc: the "} + what + " answer is not JSON"};
    }
}

std::string text(const json& j, const char* name, const char* what) {
    const auto it = j.find(name);
    if (it == j.end() || !it->is_string()) {
        throw Error{Errc::InvalidEncoding, std::string{"csc: the "} + what + " answer has no string " + name};
    }
    return it->get<std::string>();
}

Bytes b64(const json& v, const char* what) {
    if (!v.is_string()) {
        throw Error{Errc::InvalidEncoding,
                    std::string{"csc: the "} + what + " answer has a non-string value"};
    }
    try {
        return base64_decode(v.get_ref<const std::string&>());
    } catch (const Error&) {
        throw Error{Errc::InvalidEncoding, std::string{"csc: the "} + what + " answer has bad base64"};
    }
}

std::vector<Bytes> b64_list(const json& j, const char* name, const char* what) {
    std::vector<Bytes> out;
    const auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
        return out;
    }
    if (!it->is_array()) {
        throw Error{Errc::InvalidEncoding,
                    std::string{"csc: the "} + what + " answer's " + name + " is not a list"};
    }
    for (const auto& v : *it) {
        out.push_back(b64(v, what));
    }
    return out;
}

json b64_array(const std::vector<Bytes>& items) {
    json a = json::array();
    for (const auto& b : items) {
        a.push_back(base64_encode(b));
    }
    return a;
}

void put_algorithm(json& j, const crypto::SignatureAlgorithm& alg) {
    auto [oid, params] = sign_algo(alg);
    j["signAlgo"] = oid;
    if (!params.empty()) {
        j["signAlgoParams"] = base64_encode(params);
    }
}

}  // namespace

void wipe(std::string& s) noexcept {
    volatile char* p = s.data();
    for (std::size_t i = 0; i < s.size(); ++i) {
        p[i] = 0;
    }
    s.clear();
}

Error error_from(int status, std::string_view body) {
    std::string error = "http_error";
    std::string description;
    try {
        const json j = json::parse(body);
        if (j.is_object()) {
            error = j.value("error", error);
            description = j.value("error_description", "");
        }
    } catch (const json::exception&) {
        // not a CSC error body (a proxy's page): the status says enough
    }
    Errc code = Errc::InvalidRequest;
    if (status == 401) {
        code = Errc::Unauthenticated;
    } else if (error == "invalid_pin" || error == "invalid_otp" || error == "invalid_authentication_data" ||
               error == "authentication_error") {
        code = Errc::InvalidAuthData;
    } else if (status == 403) {
        code = Errc::Forbidden;
    } else if (status == 413) {
        code = Errc::PayloadTooLarge;
    } else if (status >= 500 || status < 400) {
        code = Errc::Unavailable;
    }
    std::string detail = std::to_string(status) + " " + error;
    if (!description.empty()) {
        detail += ": " + description;
    }
    return Error{code, std::move(detail)};
}

std::string encode_authorize(Version v, const std::string& credential_id, const std::vector<Bytes>& hashes,
                             crypto::DigestAlgorithm hash_algorithm, const Factors& factors,
                             int num_signatures) {
    json j;
    j["credentialID"] = credential_id;
    j["numSignatures"] = num_signatures > 0 ? num_signatures : static_cast<int>(hashes.size());
    if (v == Version::V1) {
        // v1 carries no hash algorithm: the service infers it from the length (SHA-256/384/512).
        if (!hashes.empty()) {
            j["hash"] = b64_array(hashes);
        }
        if (factors.pin) {
            j["PIN"] = std::string{factors.pin->reveal()};
        }
        if (factors.otp) {
            j["OTP"] = std::string{factors.otp->reveal()};
        }
    } else {
        if (!hashes.empty()) {
            j["hashes"] = b64_array(hashes);
            j["hashAlgorithmOID"] = std::string{crypto::spec(hash_algorithm).oid};
        }
        json auth = json::array();
        if (factors.pin) {
            auth.push_back({{"id", "PIN"}, {"value", std::string{factors.pin->reveal()}}});
        }
        if (factors.otp) {
            auth.push_back({{"id", "OTP"}, {"value", std::string{factors.otp->reveal()}}});
        }
        if (!auth.empty()) {
            j["authData"] = std::move(auth);
        }
    }
    std::string out = j.dump();
    // The JSON tree's copies of the factors.
    if (v == Version::V1) {
        for (const char* k : {"PIN", "OTP"}) {
            if (j.contains(k)) {
                wipe(j[k].get_ref<std::string&>());
            }
        }
    } else if (j.contains("authData")) {
        for (auto& a : j["authData"]) {
            wipe(a["value"].get_ref<std::string&>());
        }
    }
    return out;
}

std::string encode_sign_hash(Version v, const std::string& credential_id, const Secret& sad,
                             const std::vector<Bytes>& hashes, const crypto::SignatureAlgorithm& algorithm) {
    json j;
    j["credentialID"] = credential_id;
    j["SAD"] = std::string{sad.reveal()};
    j[v == Version::V1 ? "hash" : "hashes"] = b64_array(hashes);
    j[v == Version::V1 ? "hashAlgo" : "hashAlgorithmOID"] = std::string{crypto::spec(algorithm.digest).oid};
    put_algorithm(j, algorithm);
    std::string out = j.dump();
    wipe(j["SAD"].get_ref<std::string&>());
    return out;
}

std::string encode_sign_doc(const std::string& credential_id, const Secret& sad,
                            const std::vector<SignDocEntry>& entries, bool return_validation_info) {
    json j;
    j["credentialID"] = credential_id;
    j["SAD"] = std::string{sad.reveal()};
    json documents = json::array();
    json digests = json::array();
    for (const auto& e : entries) {
        json item;
        if (e.hashes.empty()) {
            item["document"] = base64_encode(e.document);
        } else {
            item["hashes"] = b64_array(e.hashes);
            item["hashAlgorithmOID"] =
                std::string{crypto::spec(e.hash_algorithm.value_or(e.algorithm.digest)).oid};
        }
        item["signature_format"] = e.signature_format;
        item["conformance_level"] = e.conformance_level;
        put_algorithm(item, e.algorithm);
        if (!e.signed_envelope_property.empty()) {
            item["signed_envelope_property"] = e.signed_envelope_property;
        }
        if (!e.signed_props.empty()) {
            json props = json::array();
            for (const auto& [name, value] : e.signed_props) {
                props.push_back({{"attribute_name", name}, {"attribute_value", value}});
            }
            item["signed_props"] = std::move(props);
        }
        if (e.appearance) {
            const auto& v = *e.appearance;
            json a{
                {"page", e.page + 1},
                {"rect", json::array({v.rect.x1, v.rect.y1, v.rect.x2 - v.rect.x1, v.rect.y2 - v.rect.y1})}};
            if (!v.display_name.empty()) a["display_name"] = v.display_name;
            if (v.vertical) a["vertical"] = true;
            if (v.date_style == ades::DateStyle::JapaneseEra) a["date_style"] = "japanese";
            if (v.labels == ades::LabelLanguage::Japanese) a["labels"] = "ja";
            if (v.seal == pdf::SealStyle::Round) a["seal_style"] = "round";
            if (v.seal == pdf::SealStyle::Square) a["seal_style"] = "square";
            if (v.seal == pdf::SealStyle::Oval) a["seal_style"] = "oval";
            if (!v.seal_text.empty()) a["seal_text"] = v.seal_text;
            if (!v.image.empty()) a["image"] = base64_encode(v.image);
            item["appearance"] = std::move(a);
        }
        (e.hashes.empty() ? documents : digests).push_back(std::move(item));
    }
    if (!documents.empty()) {
        j["documents"] = std::move(documents);
    }
    if (!digests.empty()) {
        j["documentDigests"] = std::move(digests);
    }
    if (return_validation_info) {
        j["returnValidationInfo"] = true;
    }
    std::string out = j.dump();
    wipe(j["SAD"].get_ref<std::string&>());
    return out;
}

ServiceInfo decode_info(std::string_view body) {
    const json j = parse(body, "info");
    ServiceInfo out;
    out.specs = j.value("specs", "");
    out.name = j.value("name", "");
    out.region = j.value("region", "");
    for (const char* key : {"authType", "methods"}) {
        const auto it = j.find(key);
        if (it != j.end() && it->is_array()) {
            for (const auto& m : *it) {
                if (m.is_string()) {
                    (std::string_view{key} == "methods" ? out.methods : out.auth_types)
                        .push_back(m.get<std::string>());
                }
            }
        }
    }
    return out;
}

Secret decode_access_token(std::string_view body) {
    json j = parse(body, "auth/login");
    Secret out{text(j, "access_token", "auth/login")};
    wipe(j["access_token"].get_ref<std::string&>());
    return out;
}

std::vector<std::string> decode_credential_ids(std::string_view body) {
    const json j = parse(body, "credentials/list");
    std::vector<std::string> out;
    const auto it = j.find("credentialIDs");
    if (it == j.end() || !it->is_array()) {
        throw Error{Errc::InvalidEncoding, "csc: the credentials/list answer has no credentialIDs"};
    }
    for (const auto& id : *it) {
        if (id.is_string()) {
            out.push_back(id.get<std::string>());
        }
    }
    return out;
}

CredentialInfo decode_credential_info(Version v, const std::string& id, std::string_view body) {
    const json j = parse(body, "credentials/info");
    CredentialInfo out;
    out.id = id;
    out.description = j.value("description", "");
    if (const auto key = j.find("key"); key != j.end() && key->is_object()) {
        out.key_enabled = key->value("status", "") == "enabled";
        if (const auto algos = key->find("algo"); algos != key->end() && algos->is_array()) {
            for (const auto& a : *algos) {
                if (a.is_string()) {
                    out.key_algos.push_back(a.get<std::string>());
                }
            }
        }
        if (const auto len = key->find("len"); len != key->end() && len->is_number_integer()) {
            out.key_len = len->get<std::size_t>();
        }
    }
    if (const auto cert = j.find("cert"); cert != j.end() && cert->is_object()) {
        out.certificate_status = cert->value("status", "");
        out.certificates = b64_list(*cert, "certificates", "credentials/info");
    }
    // v1: a number or a string ("1", "2"); v2: a string.
    if (const auto scal = j.find("SCAL"); scal != j.end()) {
        if (scal->is_string()) {
            out.scal = scal->get<std::string>() == "2" ? 2 : 1;
        } else if (scal->is_number_integer()) {
            out.scal = scal->get<int>();
        }
    }
    out.multisign = j.value("multisign", 1);
    if (v == Version::V1) {
        // v1: "PIN": {"presence": "true"|"false"|"optional"}, "OTP": {"presence": ..., "type": ...}
        if (const auto pin = j.find("PIN"); pin != j.end() && pin->is_object()) {
            out.pin_required = pin->value("presence", "true") != "false";
        }
        if (const auto otp = j.find("OTP"); otp != j.end() && otp->is_object()) {
            out.otp_required = otp->value("presence", "true") != "false";
        }
    } else if (const auto auth = j.find("auth"); auth != j.end() && auth->is_object()) {
        // v2: "auth": {"mode": "explicit", "objects": [{"type": "Password", "id": "PIN"}, {"type": "OTP",
        // ...}]}
        out.pin_required = false;
        if (const auto objects = auth->find("objects"); objects != auth->end() && objects->is_array()) {
            for (const auto& o : *objects) {
                const std::string oid = o.value("id", "");
                const std::string type = o.value("type", "");
                if (oid == "PIN" || type == "Password") {
                    out.pin_required = true;
                }
                if (oid == "OTP" || type == "OTP") {
                    out.otp_required = true;
                }
            }
        }
    }
    return out;
}

Sad decode_sad(std::string_view body) {
    json j = parse(body, "credentials/authorize");
    Sad out;
    out.sad = Secret{text(j, "SAD", "credentials/authorize")};
    wipe(j["SAD"].get_ref<std::string&>());
    out.expires_in = j.value("expiresIn", 3600);
    return out;
}

std::vector<Bytes> decode_signatures(std::string_view body) {
    const json j = parse(body, "signatures/signHash");
    if (!j.contains("signatures")) {
        throw Error{Errc::InvalidEncoding, "csc: the signatures/signHash answer has no signatures"};
    }
    return b64_list(j, "signatures", "signatures/signHash");
}

Bytes decode_timestamp(std::string_view body) {
    const json j = parse(body, "signatures/timestamp");
    // "timestamp" per the spec; "timeStampToken" as some services name it (csc-api.md §4.18).
    for (const char* name : {"timestamp", "timeStampToken"}) {
        if (const auto it = j.find(name); it != j.end()) {
            return b64(*it, "signatures/timestamp");
        }
    }
    throw Error{Errc::InvalidEncoding, "csc: the signatures/timestamp answer has no timestamp"};
}

SignDocResult decode_sign_doc(std::string_view body) {
    const json j = parse(body, "signatures/signDoc");
    SignDocResult out;
    out.documents_with_signature = b64_list(j, "DocumentWithSignature", "signatures/signDoc");
    out.signature_objects = b64_list(j, "SignatureObject", "signatures/signDoc");
    if (const auto it = j.find("validationInfo"); it != j.end() && it->is_object()) {
        ValidationInfo v;
        v.ocsp = b64_list(*it, "ocsp", "signatures/signDoc validationInfo");
        v.crl = b64_list(*it, "crl", "signatures/signDoc validationInfo");
        v.certificates = b64_list(*it, "certificates", "signatures/signDoc validationInfo");
        out.validation_info = std::move(v);
    }
    return out;
}

std::string encode_validation_info(const ValidationInfo& info) {
    json j;
    j["ocsp"] = b64_array(info.ocsp);
    j["crl"] = b64_array(info.crl);
    j["certificates"] = b64_array(info.certificates);
    return j.dump(2);
}

}  // namespace codec
}  // namespace inkan::client
