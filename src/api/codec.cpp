#include "codec.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <set>

#include <nlohmann/json.hpp>

#include <inkan/ades/pades.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>

#include "wire.h"

namespace inkan::api::detail {

namespace {

using ojson = nlohmann::ordered_json;

constexpr std::string_view kSpecsV1 = "1.0.4.0";
constexpr std::string_view kSpecsV2 = "2.0.0.2";
constexpr std::string_view kPinDescription = "The PIN that activates this credential";
constexpr std::string_view kOtpDescription = "The one-time code from your authenticator app";
constexpr std::string_view kOtpNotEnrolled =
    "Required, but no authenticator app is enrolled for this user yet: ask the operator to enrol one";
// hashLabels (decision 0034): at most this many characters each, as the CSC labels of credentials/info.
constexpr std::size_t kMaxLabel = 255;
// credentials/authorize `description`: at most this many characters (CSC v1 §11.6).
constexpr std::size_t kMaxDescription = 500;
constexpr std::string_view kPinId = "PIN";  // the v2 auth object ids encode_auth_v2 advertises
constexpr std::string_view kOtpId = "OTP";

std::string dump(const ojson& j) {
    // Replace, never throw, should a stored string (a description, a DN) not be valid UTF-8.
    return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

CertificatesMode decode_certificates(const JsonBody& body) {
    const auto name = body.string("certificates");
    if (!name) {
        return CertificatesMode::Single;
    }
    const auto mode = certificates_mode_from_name(*name);
    if (!mode) {
        invalid_request("Invalid parameter certificates");
    }
    return *mode;
}

CredentialQuery decode_query(const JsonBody& body) {
    CredentialQuery q;
    q.certificates = decode_certificates(body);
    q.cert_info = body.boolean("certInfo").value_or(false);
    q.auth_info = body.boolean("authInfo").value_or(false);
    return q;
}

ojson encode_key(const CredentialView& v) {
    ojson key;
    key["status"] = v.key_enabled ? "enabled" : "disabled";
    key["algo"] = v.key_algos;
    key["len"] = v.key_len;
    if (v.curve_oid) {
        key["curve"] = *v.curve_oid;
    }
    return key;
}

ojson encode_cert(const CertificateView& c) {
    ojson cert = ojson::object();
    if (c.status) {
        cert["status"] = *c.status;
    }
    if (!c.certificates.empty()) {
        ojson list = ojson::array();
        for (const auto& der : c.certificates) {
            list.push_back(base64_encode(der));
        }
        cert["certificates"] = std::move(list);
    }
    if (c.has_info) {
        cert["issuerDN"] = c.issuer_dn;
        cert["serialNumber"] = c.serial_number;
        cert["subjectDN"] = c.subject_dn;
        cert["validFrom"] = c.valid_from;
        cert["validTo"] = c.valid_to;
    }
    return cert;
}

/// v1 §11.5: authMode, and with authInfo the PIN and OTP groups (only when authMode is explicit).
void encode_auth_v1(ojson& out, const CredentialView& v) {
    out["authMode"] = std::string{service::name(v.auth_mode)};
    if (!v.auth || v.auth_mode != service::AuthMode::Explicit || !v.auth->factors) {
        return;
    }
    ojson pin;
    pin["presence"] = "true";
    pin["format"] = "N";
    pin["label"] = "PIN";
    pin["description"] = kPinDescription;
    out["PIN"] = std::move(pin);
    if (v.auth->otp) {
        ojson otp;
        otp["presence"] = "true";
        otp["type"] = "offline";  // an authenticator app: nothing to send (no credentials/sendOTP)
        otp["format"] = "N";
        otp["label"] = "OTP";
        otp["description"] = v.auth->otp_enrolled ? kOtpDescription : kOtpNotEnrolled;
        if (v.auth->otp_enrolled) {
            otp["ID"] = v.auth->otp_device_id;
        }
        otp["provider"] = "totp";
        out["OTP"] = std::move(otp);
    }
}

/// v2 §11.5: the auth object (with authInfo); objects only for explicit. An offline TOTP is a Password object
/// with generator "totp" (the user reads the value off the app and the client sends it in authData);
/// ChallengeResponse would make clients call credentials/getChallenge first, which a TOTP does not need.
void encode_auth_v2(ojson& out, const CredentialView& v) {
    if (!v.auth) {
        return;
    }
    ojson auth;
    auth["mode"] = std::string{service::name(v.auth_mode)};
    if (v.auth_mode != service::AuthMode::Explicit || !v.auth->factors) {
        // oauth2code: no expression and no objects; the client goes to oauth2/authorize. A system
        // client's seal: authorize takes no factor from it.
        out["auth"] = std::move(auth);
        return;
    }
    auth["expression"] = v.auth->otp ? "PIN AND OTP" : "PIN";
    ojson objects = ojson::array();
    ojson pin;
    pin["type"] = "Password";
    pin["id"] = kPinId;
    pin["format"] = "N";
    pin["label"] = "PIN";
    pin["description"] = kPinDescription;
    objects.push_back(std::move(pin));
    if (v.auth->otp) {
        ojson otp;
        otp["type"] = "Password";
        otp["id"] = kOtpId;
        otp["format"] = "N";
        otp["generator"] = "totp";
        otp["label"] = "OTP";
        otp["description"] = v.auth->otp_enrolled ? kOtpDescription : kOtpNotEnrolled;
        objects.push_back(std::move(otp));
    }
    auth["objects"] = std::move(objects);
    out["auth"] = std::move(auth);
}

ojson encode_credential(Version version, const CredentialView& v, const ServiceInfo& info, bool with_id) {
    ojson out;
    if (with_id) {
        out["credentialID"] = v.id;
    }
    if (!v.description.empty()) {
        out["description"] = v.description;
    }
    out["key"] = encode_key(v);
    out["cert"] = encode_cert(v.cert);
    switch (version) {
        case Version::V1:
            encode_auth_v1(out, v);
            break;
        case Version::V2:
            encode_auth_v2(out, v);
            break;
    }
    // v2 credentials/info: signatureQualifier (csc-api.md, credentials/info; v1 has no such member).
    if (version == Version::V2 && !v.signature_qualifier.empty()) {
        out["signatureQualifier"] = v.signature_qualifier;
    }
    out["multisign"] = v.multisign;
    out["SCAL"] = std::to_string(v.scal);
    out["lang"] = info.lang;
    return out;
}

std::string_view hashes_name(Version version) {
    return version == Version::V1 ? "hash" : "hashes";
}

/// One element of a hash array (signHash, authorize, signDoc's documentDigests): a base64 or
/// base64url string, padded or not, that decodes to something; else "Invalid Base64 hash string
/// parameter".
Bytes decode_hash(const nlohmann::json& item) {
    if (!item.is_string()) {
        invalid_request("Invalid Base64 hash string parameter");
    }
    try {
        Bytes h = base64_decode(item.get_ref<const std::string&>());
        if (h.empty()) {
            invalid_request("Invalid Base64 hash string parameter");
        }
        return h;
    } catch (const Error&) {
        invalid_request("Invalid Base64 hash string parameter");
    }
}

/// The hash array: base64 or base64url strings, padded or not. Absent: empty. Elements that are not
/// strings or do not decode: "Invalid Base64 hash string parameter".
std::vector<Bytes> decode_hash_array(Version version, JsonBody& body) {
    std::vector<Bytes> out;
    const nlohmann::json* array = body.array(hashes_name(version));
    if (array == nullptr) {
        return out;
    }
    out.reserve(array->size());
    for (const auto& item : *array) {
        out.push_back(decode_hash(item));
    }
    return out;
}

/// v1 authorize and extendTransaction carry no hash algorithm: it is inferred from the length.
crypto::DigestAlgorithm digest_by_length(std::size_t length) {
    if (const auto alg = sha2_by_length(length)) {
        return *alg;
    }
    invalid_request("Invalid digest value length");
}

/// Hashes to authorise: v1 by length, v2 with hashAlgorithmOID (required when hashes are given).
std::vector<service::AuthorisedHash> decode_authorised_hashes(Version version, JsonBody& body) {
    std::vector<Bytes> raw = decode_hash_array(version, body);
    std::vector<service::AuthorisedHash> out;
    if (raw.empty()) {
        return out;
    }
    std::optional<crypto::DigestAlgorithm> algorithm;
    if (version == Version::V2) {
        const auto oid = body.string("hashAlgorithmOID");
        if (!oid) {
            JsonBody::wrong_type("string", "hashAlgorithmOID");
        }
        algorithm = crypto::digest_from_oid(*oid);
        if (!algorithm || !crypto::spec(*algorithm).allowed_for_signing) {
            invalid_request("Invalid parameter hashAlgorithmOID");
        }
    }
    out.reserve(raw.size());
    for (auto& h : raw) {
        const crypto::DigestAlgorithm a = algorithm ? *algorithm : digest_by_length(h.size());
        if (h.size() != crypto::digest_length(a)) {
            invalid_request("Invalid digest value length");
        }
        out.push_back(service::AuthorisedHash{a, std::move(h)});
    }
    return out;
}

/// Unicode code points of UTF-8 text (JsonBody only admits valid UTF-8).
std::size_t code_points(std::string_view s) {
    std::size_t n = 0;
    for (const char c : s) {
        n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1U : 0U;
    }
    return n;
}

/// v2 authData: [{id, value}] for the objects credentials/info names ("PIN", "OTP"). Each value goes
/// straight into a Secret and the JSON string is wiped. No authData, an empty one, or objects without a
/// value ({"id": "PIN"}: the PasswordOOB form) ask for the factors out of band (CSC v2 §11.6; csc-api.md
/// §3.3: "an RSSP-managed flow is credentials/authorize with authData: []"; decision 0034). Some objects
/// with values and some without is a contradiction: refused.
void decode_auth_data(JsonBody& body, service::AuthorizeRequest& out) {
    nlohmann::json* array = body.array("authData");
    if (array == nullptr) {
        out.out_of_band = true;
        return;
    }
    const bool none_valued = std::none_of(array->begin(), array->end(), [](const nlohmann::json& item) {
        return item.is_object() && item.contains("value");
    });
    if (none_valued) {
        for (const auto& item : *array) {
            if (!item.is_object() || !item.contains("id") || !item["id"].is_string() ||
                (item["id"] != kPinId && item["id"] != kOtpId)) {
                invalid_request("Invalid parameter authData");
            }
        }
        out.out_of_band = true;
        return;
    }
    std::set<std::string, std::less<>> seen;
    for (auto& item : *array) {
        if (!item.is_object()) {
            invalid_request("Invalid parameter authData");
        }
        const auto id = item.find("id");
        if (id == item.end() || !id->is_string()) {
            invalid_request("Invalid parameter authData");
        }
        const std::string name = id->get<std::string>();
        if ((name != kPinId && name != kOtpId) || !seen.insert(name).second) {
            invalid_request("Invalid parameter authData");
        }
        const auto value = item.find("value");
        if (value == item.end() || !value->is_string()) {
            invalid_request("Invalid parameter authData");
        }
        Secret secret{std::move(value->get_ref<std::string&>())};
        *value = nullptr;
        (name == kPinId ? out.pin : out.otp) = std::move(secret);
    }
}

Secret required_sad(JsonBody& body) {
    std::optional<Secret> sad = body.take_secret("SAD");
    if (!sad || sad->empty()) {
        JsonBody::wrong_type("string", "SAD");
    }
    return std::move(*sad);
}

/// The SAD of signHash / signDoc: a credential-scoped access token (oauth2 scope "credential")
/// stands for it when the body carries none.
Secret signing_sad(JsonBody& body, const Secret* credential_token) {
    if (credential_token != nullptr && !body.has("SAD")) {
        return Secret{credential_token->reveal()};
    }
    return required_sad(body);
}

/// v2 operationMode ("S" default, "A" asynchronous), validity_period (ms) and response_uri (CSC v2
/// signHash/signDoc; csc-api.md §4.15). The companions belong to "A" only; whether "A" is offered, and
/// the bounds of validity_period, the handler checks (service::AsyncOperations).
OperationMode decode_operation_mode(const JsonBody& body) {
    OperationMode out;
    if (const auto mode = body.string("operationMode")) {
        if (*mode == "A") {
            out.async = true;
        } else if (*mode != "S") {
            invalid_request("Invalid parameter operationMode");
        }
    } else if (body.has("operationMode")) {
        invalid_request("Invalid parameter operationMode");
    }
    if (body.has("validity_period")) {
        std::optional<std::int64_t> ms;
        try {
            ms = body.integer("validity_period");
        } catch (const WireError&) {
            invalid_request("Invalid parameter validity_period");
        }
        if (!out.async || !ms) {
            invalid_request("Invalid parameter validity_period");
        }
        out.validity_ms = ms;
    }
    if (body.has("response_uri")) {
        const auto uri = body.string("response_uri");
        if (!out.async || !uri || uri->empty() || uri->size() > 2048) {
            invalid_request("Invalid parameter response_uri");
        }
        out.response_uri = uri;
    }
    return out;
}

}  // namespace

std::optional<crypto::DigestAlgorithm> sha2_by_length(std::size_t length) {
    switch (length) {
        case 32:
            return crypto::DigestAlgorithm::Sha256;
        case 48:
            return crypto::DigestAlgorithm::Sha384;
        case 64:
            return crypto::DigestAlgorithm::Sha512;
        default:
            return std::nullopt;
    }
}

service::AuthorizeRequest decode_authorize(Version version, JsonBody& body) {
    service::AuthorizeRequest out;
    out.credential_id = body.required_string("credentialID");
    body.check_common();
    const auto num = body.integer("numSignatures");
    if (!num) {
        JsonBody::wrong_type("integer", "numSignatures");
    }
    if (*num < 1) {
        invalid_request("Invalid parameter numSignatures");
    }
    if (*num > std::numeric_limits<int>::max()) {
        invalid_request("Numbers of signatures is too high");
    }
    out.num_signatures = static_cast<int>(*num);
    out.hashes = decode_authorised_hashes(version, body);
    if (auto description = body.string("description")) {
        if (code_points(*description) > kMaxDescription) {
            invalid_request("Invalid parameter description");
        }
        out.description = std::move(*description);
    }
    switch (version) {
        case Version::V1:
            out.pin = body.take_secret("PIN");
            out.otp = body.take_secret("OTP");
            break;
        case Version::V2:
            decode_auth_data(body, out);
            // inkan's extension for the approval page: one label per hash (what the signer sees).
            if (body.has("hashLabels")) {
                nlohmann::json* labels = body.array("hashLabels");
                if (labels == nullptr || labels->size() != out.hashes.size()) {
                    invalid_request("Invalid parameter hashLabels: one string per hash");
                }
                for (const auto& l : *labels) {
                    if (!l.is_string() || code_points(l.get<std::string>()) > kMaxLabel) {
                        invalid_request("Invalid parameter hashLabels: one string per hash");
                    }
                    out.labels.push_back(l.get<std::string>());
                }
            }
            break;
    }
    return out;
}

ExtendRequest decode_extend(Version version, JsonBody& body) {
    ExtendRequest out;
    out.credential_id = body.required_string("credentialID");
    body.check_common();
    out.sad = required_sad(body);
    out.hashes = decode_authorised_hashes(version, body);
    return out;
}

SignHashRequest decode_sign_hash(Version version, JsonBody& body, const Secret* credential_token) {
    SignHashRequest out;
    out.credential_id = body.required_string("credentialID");
    body.check_common();
    out.sad = signing_sad(body, credential_token);
    if (!body.has(hashes_name(version))) {
        JsonBody::wrong_type("array", hashes_name(version));
    }
    out.hashes = decode_hash_array(version, body);
    if (out.hashes.empty()) {
        invalid_request("Empty hash array");
    }
    out.algorithm.sign_algo = body.required_string("signAlgo");
    out.algorithm.hash_algo = body.string(version == Version::V1 ? "hashAlgo" : "hashAlgorithmOID");
    if (const auto params = body.string("signAlgoParams")) {
        try {
            out.algorithm.sign_algo_params = base64_decode(*params);
        } catch (const Error&) {
            invalid_request("Invalid parameter signAlgoParams");
        }
    }
    if (version == Version::V2) {
        out.mode = decode_operation_mode(body);
    }
    return out;
}

namespace {

/// A string member of a signDoc entry; WireError "Missing (or invalid type) string parameter <name>"
/// when it is required and absent, or not a string.
std::optional<std::string> entry_string(const nlohmann::json& entry, const char* name, bool required) {
    const auto it = entry.find(name);
    if (it == entry.end() || it->is_null()) {
        if (required) {
            JsonBody::wrong_type("string", name);
        }
        return std::nullopt;
    }
    if (!it->is_string()) {
        JsonBody::wrong_type("string", name);
    }
    return it->get<std::string>();
}

/// inkan's `appearance` member of a documents[] entry (decision 0031, docs/openapi.yaml): a visible
/// PAdES signature. "Invalid parameter appearance" for anything malformed; the text itself is judged
/// by the service (DocFailure::InvalidAppearance).
void decode_appearance(const nlohmann::json& a, service::SignDocItem& item) {
    const auto bad = [] { invalid_request("Invalid parameter appearance"); };
    if (!a.is_object()) bad();
    const auto page = a.find("page");
    const auto rect = a.find("rect");
    if (page == a.end() || !page->is_number_integer() || page->get<std::int64_t>() < 1 ||
        page->get<std::int64_t>() > 100000 || rect == a.end() || !rect->is_array() || rect->size() != 4) {
        bad();
    }
    std::array<double, 4> r{};
    for (std::size_t k = 0; k < 4; ++k) {
        if (!(*rect)[k].is_number()) bad();
        r[k] = (*rect)[k].get<double>();
        if (!(r[k] > -1e6 && r[k] < 1e6)) bad();
    }
    if (r[2] <= 0 || r[3] <= 0) bad();
    ades::VisibleSignature v{pdf::Rect{r[0], r[1], r[0] + r[2], r[1] + r[3]}};
    const auto text = [&](const char* name) -> std::optional<std::string> {
        const auto f = a.find(name);
        if (f == a.end() || f->is_null()) return std::nullopt;
        if (!f->is_string()) bad();
        return f->get<std::string>();
    };
    v.display_name = text("display_name").value_or("");
    if (const auto f = a.find("vertical"); f != a.end() && !f->is_null()) {
        if (!f->is_boolean()) bad();
        v.vertical = f->get<bool>();
    }
    if (const auto d = text("date_style")) {
        const auto style = ades::date_style_from_name(*d);
        if (!style) bad();
        v.date_style = *style;
    }
    if (const auto l = text("labels")) {
        const auto lang = ades::label_language_from_name(*l);
        if (!lang) bad();
        v.labels = *lang;
    }
    if (const auto st = text("seal_style")) {
        const auto style = pdf::seal_style_from_name(*st);
        if (!style) bad();
        v.seal = *style;
    }
    v.seal_text = text("seal_text").value_or("");
    if (const auto image = text("image")) {
        try {
            v.image = base64_decode(*image);
        } catch (const Error&) {
            bad();
        }
    }
    item.appearance = std::move(v);
    item.page = static_cast<std::size_t>(page->get<std::int64_t>() - 1);
}

/// The profile members documents[] and documentDigests[] share (csc-api.md §7). `not_object` is the
/// answer for an element that is not an object (each array has its own text).
service::SignDocItem decode_sign_doc_entry(nlohmann::json& entry, const char* not_object) {
    if (!entry.is_object()) {
        invalid_request(not_object);
    }
    service::SignDocItem out;
    out.algorithm.sign_algo = *entry_string(entry, "signAlgo", true);
    out.algorithm.hash_algo = entry_string(entry, "hashAlgorithmOID", false);
    if (const auto params = entry_string(entry, "signAlgoParams", false)) {
        try {
            out.algorithm.sign_algo_params = base64_decode(*params);
        } catch (const Error&) {
            invalid_request("Invalid parameter signAlgoParams");
        }
    }
    out.signature_format = *entry_string(entry, "signature_format", true);
    out.conformance_level = entry_string(entry, "conformance_level", false).value_or("");
    out.signed_envelope_property = entry_string(entry, "signed_envelope_property", false).value_or("");
    if (const auto it = entry.find("signed_props"); it != entry.end() && !it->is_null()) {
        if (!it->is_array()) {
            invalid_request("Invalid parameter signed_props");
        }
        for (const auto& prop : *it) {
            if (!prop.is_object() || !prop.contains("attribute_name") ||
                !prop["attribute_name"].is_string() || !prop.contains("attribute_value") ||
                !prop["attribute_value"].is_string()) {
                invalid_request("Invalid parameter signed_props");
            }
            out.signed_props.emplace_back(prop["attribute_name"].get<std::string>(),
                                          prop["attribute_value"].get<std::string>());
        }
    }
    if (const auto it = entry.find("appearance"); it != entry.end() && !it->is_null()) {
        decode_appearance(*it, out);
    }
    return out;
}

/// Both spellings are in use (csc-api.md §7): [CZ], [EUDI-qtsp], [v2T] returnValidationInfo, [ASP]
/// returnValidationInformation.
bool return_validation_info(const JsonBody& body) {
    bool out = false;
    for (const char* name : {"returnValidationInfo", "returnValidationInformation"}) {
        out = body.boolean(name).value_or(false) || out;
    }
    return out;
}

/// documents[i].document: base64, WireError "Invalid Base64 document string parameter" otherwise. The
/// JSON copy is dropped once decoded (the document is not held twice).
Bytes take_document(nlohmann::json& entry) {
    const auto doc = entry.find("document");
    if (doc == entry.end() || !doc->is_string()) {
        JsonBody::wrong_type("string", "document");
    }
    Bytes out;
    try {
        out = base64_decode(doc->get_ref<const std::string&>());
    } catch (const Error&) {
        invalid_request("Invalid Base64 document string parameter");
    }
    *doc = nullptr;
    return out;
}

ojson validation_info_json(const pki::ValidationData& data) {
    const auto list = [](const std::vector<Bytes>& items) {
        ojson a = ojson::array();
        for (const auto& b : items) {
            a.push_back(base64_encode(b));
        }
        return a;
    };
    ojson out;
    out["ocsp"] = list(data.ocsp_responses);
    out["crl"] = list(data.crls);
    out["certificates"] = list(data.certificates);
    return out;
}

}  // namespace

SignDocRequest decode_sign_doc(JsonBody& body, const Secret* credential_token) {
    SignDocRequest out;
    // csc-api.md signDoc: at least one of credentialID and signatureQualifier; both allowed.
    out.signature_qualifier = body.string("signatureQualifier").value_or("");
    out.credential_id = out.signature_qualifier.empty() ? body.required_string("credentialID")
                                                        : body.string("credentialID").value_or("");
    body.check_common();
    out.sad = signing_sad(body, credential_token);
    out.mode = decode_operation_mode(body);
    out.return_validation_info = return_validation_info(body);
    if (nlohmann::json* docs = body.array("documents")) {
        out.documents_given = true;
        for (auto& entry : *docs) {
            service::SignDocItem e = decode_sign_doc_entry(entry, "Invalid array parameter documents");
            e.document = take_document(entry);
            out.documents.push_back(std::move(e));
        }
    }
    if (nlohmann::json* digests = body.array("documentDigests")) {
        out.digests_given = true;
        for (auto& entry : *digests) {
            service::SignDocItem e = decode_sign_doc_entry(entry, "Invalid object parameter documentDigests");
            const auto hashes = entry.find("hashes");
            if (hashes == entry.end() || !hashes->is_array()) {
                JsonBody::wrong_type("array", "hashes");
            }
            for (const auto& h : *hashes) {
                e.hashes.push_back(decode_hash(h));
            }
            out.digests.push_back(std::move(e));
        }
    }
    return out;
}

std::string encode_sign_doc(const service::SignDocResult& result) {
    ojson out = ojson::object();
    const auto list = [](const std::vector<Bytes>& items) {
        ojson a = ojson::array();
        for (const auto& b : items) {
            a.push_back(base64_encode(b));
        }
        return a;
    };
    // CSC v2 §11.11: DocumentWithSignature for enveloped/attached results, SignatureObject for
    // detached ones; a field is present when it has something.
    if (!result.documents_with_signature.empty()) {
        out["DocumentWithSignature"] = list(result.documents_with_signature);
    }
    if (!result.signature_objects.empty()) {
        out["SignatureObject"] = list(result.signature_objects);
    }
    if (result.validation_info) {
        out["validationInfo"] = validation_info_json(*result.validation_info);
    }
    return dump(out);
}

service::ExtendDocumentsRequest decode_extend_documents(JsonBody& body) {
    body.check_common();
    service::ExtendDocumentsRequest out;
    out.return_validation_info = return_validation_info(body);
    nlohmann::json* docs = body.array("documents");
    if (docs == nullptr) {
        JsonBody::wrong_type("array", "documents");
    }
    for (auto& entry : *docs) {
        if (!entry.is_object()) {
            invalid_request("Invalid array parameter documents");
        }
        service::ExtendItem item;
        item.signature_format = entry_string(entry, "signature_format", false).value_or("");
        item.document = take_document(entry);
        // A detached CAdES's signed content (decision 0014), base64 like the document.
        if (const auto content = entry.find("content"); content != entry.end()) {
            if (!content->is_string()) {
                JsonBody::wrong_type("string", "content");
            }
            try {
                item.content = base64_decode(content->get_ref<const std::string&>());
            } catch (const Error&) {
                invalid_request("Invalid Base64 content string parameter");
            }
            *content = nullptr;
        }
        out.documents.push_back(std::move(item));
    }
    return out;
}

std::string encode_extend_documents(const service::ExtendDocumentsResult& result) {
    ojson out = ojson::object();
    ojson docs = ojson::array();
    for (const auto& d : result.documents) {
        docs.push_back(base64_encode(d));
    }
    out["DocumentWithSignature"] = std::move(docs);
    if (result.validation_info) {
        out["validationInfo"] = validation_info_json(*result.validation_info);
    }
    return dump(out);
}

ChallengeRequest decode_challenge(const JsonBody& body) {
    ChallengeRequest out;
    out.credential_id = body.required_string("credentialID");
    body.check_common();
    out.auth_object_id = body.required_string("authObjectID");
    return out;
}

LoginRequest decode_login(const http::Request& request, JsonBody& body) {
    body.check_common();
    LoginRequest out;
    out.remember_me = body.boolean("rememberMe").value_or(false);
    std::optional<Secret> refresh = body.take_secret("refresh_token");
    const auto authorization = request.header("Authorization");
    if (authorization) {
        if (refresh) {
            invalid_request("Invalid parameter refresh_token: not allowed with an Authorization header");
        }
        basic_credentials(*authorization, out);
        return out;
    }
    if (!refresh) {
        throw WireError{401, "invalid_request", "Malformed authentication parameter."};
    }
    out.with_refresh_token = true;
    out.refresh_token = std::move(*refresh);
    return out;
}

RevokeRequest decode_revoke(JsonBody& body) {
    body.check_common();
    RevokeRequest out;
    std::optional<Secret> token = body.take_secret("token");
    if (!token) {
        JsonBody::wrong_type("string", "token");
    }
    out.token = std::move(*token);
    if (const auto hint = body.string("token_type_hint")) {
        if (*hint != "access_token" && *hint != "refresh_token") {
            invalid_request("Invalid string parameter token_type_hint");
        }
        out.hint = *hint;
    }
    return out;
}

ListRequest decode_list(Version version, const JsonBody& body) {
    body.check_common();
    ListRequest out;
    // Core::list decides: only a system client's (oauth2client) token may name a user (v1 §11.4).
    out.user_id = body.string("userID");
    switch (version) {
        case Version::V1: {
            out.paged = true;
            if (const auto max = body.integer("maxResults")) {
                if (*max < 1) {
                    invalid_request("Invalid parameter maxResults");
                }
                out.max_results = static_cast<std::size_t>(*max);
            }
            if (auto token = body.string("pageToken"); token && !token->empty()) {
                out.page_token = std::move(*token);
            }
            break;
        }
        case Version::V2:
            out.credential_info = body.boolean("credentialInfo").value_or(false);
            out.query = decode_query(body);
            out.only_valid = body.boolean("onlyValid").value_or(false);
            break;
    }
    return out;
}

CredentialInfoRequest decode_credential_info(const JsonBody& body) {
    CredentialInfoRequest out;
    out.credential_id = body.required_string("credentialID");
    body.check_common();
    out.query = decode_query(body);
    return out;
}

std::string encode_info(Version version, const Core& core, const std::vector<std::string>& methods,
                        bool oauth) {
    const ServiceInfo& info = core.info();
    ojson out;
    out["specs"] = version == Version::V1 ? kSpecsV1 : kSpecsV2;
    out["name"] = info.name;
    out["logo"] = info.logo;
    out["region"] = info.region;
    out["lang"] = info.lang;
    out["description"] = info.description;
    ojson auth_type = ojson::array({"basic"});
    if (info.mtls) {
        auth_type.push_back("TLS");
    }
    if (oauth) {
        auth_type.push_back("oauth2code");
        auth_type.push_back("oauth2client");
    }
    out["authType"] = std::move(auth_type);
    out["methods"] = methods;
    if (version == Version::V2) {
        const service::AdvertisedAlgorithms& algorithms = core.sign_algorithms();
        ojson params = ojson::array();
        for (const auto& p : algorithms.params) {
            params.push_back(p ? ojson(base64_encode(*p)) : ojson(nullptr));
        }
        ojson sign;
        sign["algos"] = algorithms.algos;
        sign["algoParams"] = std::move(params);
        out["signAlgorithms"] = std::move(sign);
        // Required members (strict clients refuse an info without them); empty when signDoc is not
        // offered. envelope_properties[i] lists the packagings of formats[i] (csc-api.md §4.1).
        ojson formats;
        formats["formats"] = ojson::array();
        formats["envelope_properties"] = ojson::array();
        ojson levels = ojson::array();
        if (const service::DocumentSigning* documents = core.documents()) {
            formats["formats"] = ojson::array({"C", "P", "X"});
            formats["envelope_properties"] = ojson::array(
                {ojson::array({"Attached", "Detached"}), ojson::array({"Certification", "Revision"}),
                 ojson::array({"Enveloped", "Enveloping", "Detached"})});
            for (const auto& l : documents->conformance_levels()) {
                levels.push_back(l);
            }
            // signDoc returns validationInfo when asked (csc-api.md §4.1 v2 validationInfo).
            out["validationInfo"] = documents->validation_info();
        }
        // operationMode "A" and signatures/signPolling (decision 0033).
        out["asynchronousOperationMode"] = core.async() != nullptr;
        out["signature_formats"] = std::move(formats);
        out["conformance_levels"] = std::move(levels);
    }
    return dump(out);
}

std::string encode_tokens(const service::IssuedTokens& tokens) {
    ojson out;
    out["access_token"] = tokens.access_token;
    if (tokens.refresh_token) {
        out["refresh_token"] = *tokens.refresh_token;
    }
    out["expires_in"] = tokens.expires_in;
    return dump(out);
}

std::string encode_list(Version version, const ListResult& result, const ServiceInfo& info) {
    ojson out;
    out["credentialIDs"] = result.credential_ids;
    switch (version) {
        case Version::V1:
            if (result.next_page_token) {
                out["nextPageToken"] = *result.next_page_token;
            }
            break;
        case Version::V2:
            if (result.infos) {
                ojson infos = ojson::array();
                for (const auto& v : *result.infos) {
                    infos.push_back(encode_credential(version, v, info, true));
                }
                out["credentialInfos"] = std::move(infos);
            }
            if (result.only_valid) {
                out["onlyValid"] = true;
            }
            break;
    }
    return dump(out);
}

std::string encode_sad(const service::IssuedSad& sad) {
    ojson out;
    out["SAD"] = sad.sad;
    out["expiresIn"] = sad.expires_in;
    return dump(out);
}

std::string encode_signatures(const std::vector<Bytes>& signatures) {
    ojson list = ojson::array();
    for (const auto& s : signatures) {
        list.push_back(base64_encode(s));
    }
    ojson out;
    out["signatures"] = std::move(list);
    return dump(out);
}

std::string encode_credential_info(Version version, const CredentialView& view, const ServiceInfo& info) {
    return dump(encode_credential(version, view, info, false));
}

}  // namespace inkan::api::detail
