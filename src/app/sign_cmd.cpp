// `inkan sign`: the client side of remote signing. Hash mode keeps the document here and signs the
// digest of the signed attributes through credentials/authorize + signatures/signHash (the ades code
// the server runs, with a RemoteCscSigner); doc mode sends the document to signatures/signDoc.
// Password, PIN and OTP come from INKAN_PASSWORD, INKAN_PIN, INKAN_OTP or a prompt on the terminal
// (no echo), never from argv. The output appears only when everything worked (temp file + rename).
// B-LT/B-LTA (issue 9): in hash mode the client fetches OCSP/CRL itself (pki::RevocationFetcher) and
// adds the DSS and document time-stamp; in doc mode the service does (conformance_level Ades-B-LT/-LTA).

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>

#include <inkan/ades/lt.h>
#include <inkan/client/csc_client.h>
#include <inkan/client/pdf_signer.h>
#include <inkan/client/remote_signer.h>
#include <inkan/client/xml_signer.h>
#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/pdf/document.h>
#include <inkan/pki/revocation.h>
#include <inkan/tsp/client.h>

#include "args.h"
#include "commands.h"
#include "context.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

/// A secret from the environment variable `env`, else read from the terminal with echo off.
Secret factor(const char* env, const std::string& prompt) {
    if (const char* v = std::getenv(env); v != nullptr && *v != '\0') {
        return Secret{std::string_view{v}};
    }
    const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
    require(fd >= 0, Errc::InvalidRequest,
            std::string{env} + " is not set and there is no terminal to ask for the " + prompt);
    struct Close {
        int fd;
        ~Close() { ::close(fd); }
    } closer{fd};
    const std::string question = prompt + ": ";
    (void)!::write(fd, question.data(), question.size());
    termios old{};
    const bool tty = ::tcgetattr(fd, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        (void)::tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    std::string line;
    char c = 0;
    while (::read(fd, &c, 1) == 1 && c != '\n') {
        if (c != '\r') {
            line.push_back(c);
        }
    }
    if (tty) {
        (void)::tcsetattr(fd, TCSAFLUSH, &old);
    }
    (void)!::write(fd, "\n", 1);
    Secret out{std::move(line)};
    require(!out.empty(), Errc::InvalidRequest, "no " + prompt + " given");
    return out;
}

/// The factors credentials/authorize needs for this credential (a PIN; an OTP when authInfo names one).
client::Factors factors_for(const client::CredentialInfo& info) {
    client::Factors f;
    if (info.pin_required) {
        f.pin = factor("INKAN_PIN", "PIN for credential " + info.id);
    }
    if (info.otp_required) {
        f.otp = factor("INKAN_OTP", "one-time code (authenticator app)");
    }
    return f;
}

Bytes read_file(const fs::path& p) {
    std::ifstream in{p, std::ios::binary};
    require(in.good(), Errc::NotFound, "cannot read " + p.string());
    return Bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

ades::Level parse_level(const std::string& s) {
    for (const ades::Level l : {ades::Level::BB, ades::Level::BT, ades::Level::BLT, ades::Level::BLTA}) {
        if (s == ades::name(l)) {
            return l;
        }
    }
    throw UsageError{"--level takes B-B, B-T, B-LT or B-LTA"};
}

/// validationInfo as the CSC writes it (base64 DER lists), for --validation-info.
std::string validation_json(const client::ValidationInfo& v) {
    const auto list = [](const std::vector<Bytes>& items) {
        std::string out = "[";
        for (std::size_t i = 0; i < items.size(); ++i) {
            out += (i == 0 ? "\"" : ", \"") + base64_encode(items[i]) + "\"";
        }
        return out + "]";
    };
    return "{\n  \"ocsp\": " + list(v.ocsp) + ",\n  \"crl\": " + list(v.crl) +
           ",\n  \"certificates\": " + list(v.certificates) + "\n}\n";
}

client::ValidationInfo from_pki(const pki::ValidationData& d) {
    return client::ValidationInfo{d.ocsp_responses, d.crls, d.certificates};
}

std::optional<ades::VisibleSignature> parse_visible(const Args& args, std::size_t& page) {
    const auto v = args.option("visible");
    if (!v) {
        for (const char* o :
             {"image", "font", "date-style", "labels", "seal-style", "seal-text", "display-name"}) {
            if (args.option(o)) {
                throw UsageError{std::string{"--"} + o + " needs --visible"};
            }
        }
        if (args.flag("vertical")) {
            throw UsageError{"--vertical needs --visible"};
        }
        return std::nullopt;
    }
    std::vector<double> n;
    std::stringstream ss{*v};
    std::string part;
    while (std::getline(ss, part, ',')) {
        try {
            n.push_back(std::stod(part));
        } catch (const std::exception&) {
            throw UsageError{"--visible takes PAGE,X,Y,W,H (numbers)"};
        }
    }
    if (n.size() != 5 || n[0] < 1 || n[3] <= 0 || n[4] <= 0) {
        throw UsageError{"--visible takes PAGE,X,Y,W,H: page from 1, positive width and height (points)"};
    }
    page = static_cast<std::size_t>(n[0]) - 1;
    ades::VisibleSignature vis;
    vis.rect = pdf::Rect{n[1], n[2], n[1] + n[3], n[2] + n[4]};
    if (const auto image = args.option("image")) {
        vis.image = read_file(*image);
    }
    // Japanese appearances (decision 0031): the text is embedded as a subset of --font (default: the
    // installed IPA Mincho), across or in columns, with the date and labels in either language.
    if (const auto font = args.option("font")) {
        vis.font = *font;
    }
    vis.vertical = args.flag("vertical");
    if (const auto d = args.option("date-style")) {
        const auto style = ades::date_style_from_name(*d);
        if (!style) {
            throw UsageError{"--date-style takes western or japanese"};
        }
        vis.date_style = *style;
    }
    if (const auto l = args.option("labels")) {
        const auto lang = ades::label_language_from_name(*l);
        if (!lang) {
            throw UsageError{"--labels takes en or ja"};
        }
        vis.labels = *lang;
    }
    if (const auto s = args.option("seal-style")) {
        const auto style = pdf::seal_style_from_name(*s);
        if (!style) {
            throw UsageError{"--seal-style takes round, square or oval"};
        }
        if (*style != pdf::SealStyle::None && !vis.image.empty()) {
            throw UsageError{"--seal-style and --image are alternatives"};
        }
        vis.seal = *style;
    }
    if (const auto t = args.option("seal-text")) {
        if (vis.seal == pdf::SealStyle::None) {
            throw UsageError{"--seal-text needs --seal-style"};
        }
        vis.seal_text = *t;
    }
    vis.display_name = args.option_or("display-name", "");
    return vis;
}

/// What the service's refusal means for the person at the terminal (decision 0040). The CSC wire texts stay
/// the spec's (v2 says "Credential locked" for a PIN and an OTP lock alike), so the client explains them,
/// names who can clear a lock and how, and tells a reused one-time code (wait) from a wrong one (retype).
std::optional<std::string> explain_refusal(const Error& e, const std::string& user,
                                           const std::string& credential) {
    const auto says = [&e](std::string_view text) { return e.detail().ends_with(": " + std::string{text}); };
    if (says("Credential locked")) {
        return "Credential locked: too many wrong attempts locked the PIN of credential " + credential +
               " or " + user + "'s one-time code (CSC v2 does not say which); `inkan user show " + user +
               "` shows an operator the lock and the command that clears it";
    }
    if (says("PIN locked")) {
        return "PIN locked: too many wrong PINs for credential " + credential +
               "; an operator clears it with `inkan credential unlock " + credential + "`";
    }
    if (says("OTP locked")) {
        return "one-time code locked: too many wrong codes for " + user +
               " (every credential of theirs is refused); an operator clears it with `inkan user unlock " +
               user + "`";
    }
    if (says("The OTP was already used; wait for the next one")) {
        return "one-time code already used: that code was accepted before and works once; wait for the next "
               "code from the authenticator app and try again (not counted as a wrong code)";
    }
    if (says("The OTP is invalid")) {
        return "wrong one-time code (wrong codes in a row lock the user's code)";
    }
    if (says("The PIN is invalid")) {
        return "wrong PIN (wrong PINs in a row lock the credential's PIN)";
    }
    if (says("The authentication data is invalid")) {
        return "wrong PIN or one-time code (wrong ones in a row lock them)";
    }
    if (says("Invalid parameter credentialID")) {
        return "credential " + credential + " is not one " + user +
               " may use: it does not exist or belongs to someone else (the service does not say which to "
               "its clients); `inkan credential show " +
               credential + "` tells an operator";
    }
    return std::nullopt;
}

int sign_command(const std::vector<std::string>& words, Io io);

/// The value of `--name V` / `--name=V` in words that Args already accepted (the last one, as Args).
std::string last_value(const std::vector<std::string>& words, const std::string& name) {
    std::string value;
    for (std::size_t i = 0; i < words.size() && words[i] != "--"; ++i) {
        if (words[i] == name && i + 1 < words.size()) {
            value = words[++i];
        } else if (words[i].starts_with(name + "=")) {
            value = words[i].substr(name.size() + 1);
        }
    }
    return value;
}

}  // namespace

int cmd_sign(const std::vector<std::string>& words, Io io) {
    try {
        return sign_command(words, io);
    } catch (const Error& e) {
        const auto hint = explain_refusal(e, last_value(words, "--user"), last_value(words, "--credential"));
        if (!hint) {
            throw;
        }
        // The explanation first, the service's own words after it (what a support request quotes).
        throw Error{e.code(), *hint + " (" + e.detail() + ")"};
    }
}

namespace {

int sign_command(const std::vector<std::string>& words, Io io) {
    const Args args{words,
                    {"detached", "pss", "vri", "timestamp-validation", "vertical", "force"},
                    {"url",
                     "user",
                     "credential",
                     "mode",
                     "level",
                     "certify",
                     "visible",
                     "image",
                     "font",
                     "date-style",
                     "labels",
                     "seal-style",
                     "seal-text",
                     "display-name",
                     "format",
                     "cacert",
                     "reason",
                     "location",
                     "name",
                     "contact",
                     "csc",
                     "field",
                     "revocation-timeout-ms",
                     "proxy",
                     "validation-info",
                     "packaging",
                     "mime",
                     "tsa",
                     "role"}};
    if (args.positional().size() != 2) {
        throw UsageError{"sign takes IN and OUT"};
    }
    const fs::path in = args.positional()[0];
    const fs::path out = args.positional()[1];
    const auto url = args.option("url");
    const auto user = args.option("user");
    const auto credential = args.option("credential");
    if (!url || !user || !credential) {
        throw UsageError{"sign needs --url, --user and --credential"};
    }
    const std::string mode = args.option_or("mode", "hash");
    if (mode != "hash" && mode != "doc") {
        throw UsageError{"--mode takes hash or doc"};
    }
    const std::string format = args.option_or("format", "pades");
    if (format != "pades" && format != "cades" && format != "xades") {
        throw UsageError{"--format takes pades, cades or xades"};
    }
    const bool pades = format == "pades";
    const bool is_xades = format == "xades";
    const ades::Level level = parse_level(args.option_or("level", "B-B"));
    std::optional<client::Packaging> packaging;
    if (is_xades) {
        packaging = xades::packaging_from_name(args.option_or("packaging", "enveloped"));
        if (!packaging) {
            throw UsageError{"--packaging takes enveloped, enveloping or detached"};
        }
        if (mode == "doc" && (args.option("mime") || !args.values("role").empty())) {
            throw UsageError{"--mime and --role are for --mode hash (signDoc's signed_props carry neither)"};
        }
        if (args.flag("detached") || args.flag("vri") || args.flag("timestamp-validation") ||
            args.option("validation-info")) {
            throw UsageError{
                "--detached, --vri, --timestamp-validation and --validation-info are not for "
                "--format xades (use --packaging detached)"};
        }
    } else if (args.option("packaging") || args.option("mime") || !args.values("role").empty()) {
        throw UsageError{"--packaging, --mime and --role are for --format xades"};
    }
    std::optional<int> certify;
    if (const auto c = args.option("certify")) {
        if (*c != "1" && *c != "2" && *c != "3") {
            throw UsageError{"--certify takes 1, 2 or 3 (DocMDP P)"};
        }
        certify = std::stoi(*c);
    }
    std::size_t page = 0;
    const auto visible = parse_visible(args, page);
    // A /csc/v1 or /csc/v2 --url (what `inkan serve` prints) names the version; --csc may agree.
    const client::CscUrl service_url = client::parse_csc_url(*url);
    const std::string url_version =
        !service_url.version ? "" : (*service_url.version == client::Version::V1 ? "v1" : "v2");
    const std::string csc = args.option_or("csc", url_version.empty() ? "v2" : url_version);
    if (csc != "v1" && csc != "v2") {
        throw UsageError{"--csc takes v1 or v2"};
    }
    if (!url_version.empty() && csc != url_version) {
        throw UsageError{"--url names CSC " + url_version + " but --csc says " + csc};
    }
    if (!pades && (certify || visible || args.option("field"))) {
        throw UsageError{"--certify, --visible and --field are for --format pades"};
    }
    if (pades && args.flag("detached")) {
        throw UsageError{"--detached is for --format cades"};
    }
    if (mode == "doc") {
        if (csc == "v1") {
            throw UsageError{"--mode doc needs CSC v2 (signDoc is a v2 method)"};
        }
        if (!args.values("tsa").empty() || args.option("field")) {
            throw UsageError{
                "--field and --tsa are for --mode hash (in doc mode the service "
                "builds the signature and time-stamps it itself)"};
        }
        if (args.option("font")) {
            throw UsageError{
                "--font is for --mode hash (in doc mode the service's [signing] appearance_font is used)"};
        }
        if (certify && *certify != 2) {
            throw UsageError{
                "--mode doc certifies with the service's DocMDP permissions (P=2): use "
                "--certify 2, or --mode hash"};
        }
    }
    const bool lt = level >= ades::Level::BLT;
    if (mode == "doc" && (args.option("revocation-timeout-ms") || args.option("proxy"))) {
        throw UsageError{
            "--revocation-timeout-ms and --proxy are for --mode hash (in doc mode the service "
            "fetches the revocation data)"};
    }
    if ((args.flag("vri") || args.flag("timestamp-validation")) && (mode == "doc" || !pades || !lt)) {
        throw UsageError{
            "--vri and --timestamp-validation are for --format pades --mode hash at B-LT or B-LTA (in doc "
            "mode the service's [signing] vri and timestamp_validation apply)"};
    }
    const auto validation_file = args.option("validation-info");
    const Overwrite overwrite = args.flag("force") ? Overwrite::Allow : Overwrite::Refuse;
    // Before the password prompt and the service: a refusal must cost the user nothing.
    refuse_existing_output(out, overwrite);
    if (validation_file) {
        refuse_existing_output(*validation_file, overwrite);
    }
    // Hash mode fetches OCSP/CRL on the user's machine with the user's own reach: the permissive guard
    // (http/https only, no redirects, any address) and detailed errors (decision 0016).
    pki::RevocationOptions revocation_options;
    revocation_options.guard = net::UrlGuard::permissive();
    if (const auto t = args.option("revocation-timeout-ms")) {
        try {
            revocation_options.timeout = std::chrono::milliseconds{std::stol(*t)};
        } catch (const std::exception&) {
            throw UsageError{"--revocation-timeout-ms takes a number of milliseconds"};
        }
        if (revocation_options.timeout.count() <= 0) {
            throw UsageError{"--revocation-timeout-ms takes a positive number of milliseconds"};
        }
    }
    revocation_options.proxy = args.option("proxy");

    // A bad input is refused here, before the service is asked for anything.
    std::optional<pdf::Document> document;
    if (pades) {
        document.emplace(pdf::Document::open(in));
    } else if (is_xades && packaging == client::Packaging::Enveloped) {
        client::check_xml(read_file(in));  // not XML, or a refused DTD: nothing is asked of the service
    } else {
        require(fs::is_regular_file(in), Errc::NotFound, "cannot read " + in.string());
    }

    // An appearance with its own name is checked here, before the service is asked for anything (the
    // certificate's CN, when it is the name, is only known after login).
    if (visible && !visible->display_name.empty() && mode == "hash") {
        ades::PadesOptions check;
        check.appearance = visible;
        check.reason = args.option_or("reason", "");
        check.location = args.option_or("location", "");
        ades::check_appearance(check, visible->display_name);
    }

    client::CscClientOptions options;
    options.base_url = service_url.base;
    options.version = csc == "v1" ? client::Version::V1 : client::Version::V2;
    if (const auto ca = args.option("cacert")) {
        options.ca_file = *ca;
    }
    client::CscClient csc_client{options};
    csc_client.login(*user, factor("INKAN_PASSWORD", "password for " + *user));
    client::RemoteCscSigner signer{csc_client, *credential, factors_for};
    crypto::SignatureAlgorithm algorithm = sign::default_algorithm(signer.public_key());
    if (args.flag("pss")) {
        if (signer.public_key().type() != crypto::KeyType::Rsa) {
            throw UsageError{"--pss needs an RSA credential"};
        }
        algorithm = crypto::SignatureAlgorithm::rsa_pss(algorithm.digest);
    }

    if (mode == "doc") {
        const Bytes content = read_file(in);
        const Bytes hash = crypto::digest(algorithm.digest, content);
        client::SignDocEntry entry;
        entry.document = content;
        entry.algorithm = algorithm;
        entry.signature_format = pades ? "P" : is_xades ? "X" : "C";
        entry.conformance_level = "Ades-" + std::string{ades::name(level)};
        entry.appearance = visible;  // drawn by the service (inkan's signDoc `appearance` member)
        entry.page = page;
        entry.signed_envelope_property = pades ? (certify ? "Certification" : "Revision")
                                         : is_xades
                                             ? (*packaging == client::Packaging::Enveloped    ? "Enveloped"
                                                : *packaging == client::Packaging::Enveloping ? "Enveloping"
                                                                                              : "Detached")
                                             : (args.flag("detached") ? "Detached" : "Attached");
        if (pades) {
            for (const auto& [flag, name] :
                 {std::pair{"reason", "Reason"}, std::pair{"location", "Location"}, std::pair{"name", "Name"},
                  std::pair{"contact", "ContactInfo"}}) {
                if (const auto v = args.option(flag)) {
                    entry.signed_props.emplace_back(name, *v);
                }
            }
        }
        // The SAD binds the hash of the whole document (CSC v2 §11.11 at SCAL 2).
        const client::Sad sad =
            csc_client.authorize(*credential, {hash}, algorithm.digest, factors_for(signer.info()), 1);
        const client::SignDocResult result =
            csc_client.sign_doc(*credential, sad.sad, {entry}, validation_file.has_value());
        const auto& items = result.documents_with_signature.empty() ? result.signature_objects
                                                                    : result.documents_with_signature;
        require(items.size() == 1, Errc::InvalidEncoding, "signDoc answered with no signed object");
        if (validation_file) {
            require(result.validation_info.has_value(), Errc::InvalidEncoding,
                    "signDoc answered without the validationInfo asked for");
            write_output(*validation_file, as_bytes(validation_json(*result.validation_info)), overwrite);
        }
        write_output(out, items.front(), overwrite);
        io.out << "signed " << in.string() << " → " << out.string() << " (signDoc, "
               << (pades      ? "PAdES "
                   : is_xades ? "XAdES "
                              : "CAdES ")
               << ades::name(level) << ", " << crypto::name(algorithm) << ")\n";
        return 0;
    }

    // Hash mode: B-T from the given TSAs (in order, failover) or the service's signatures/timestamp.
    std::unique_ptr<tsp::Client> tsa_client;
    std::unique_ptr<ades::TimeStamper> stamper;
    if (level >= ades::Level::BT) {
        const std::vector<std::string> tsas = args.values("tsa");
        if (!tsas.empty()) {
            std::vector<tsp::TsaEndpoint> endpoints;
            for (const auto& t : tsas) {
                tsp::TsaEndpoint e;
                e.url = t;
                if (const auto ca = args.option("cacert")) {
                    e.ca_file = *ca;
                }
                endpoints.push_back(std::move(e));
            }
            tsa_client = std::make_unique<tsp::Client>(std::move(endpoints));
            stamper = std::make_unique<ades::ClientTimeStamper>(*tsa_client);
        } else {
            stamper = std::make_unique<client::CscTimeStamper>(csc_client);
        }
    } else if (!args.values("tsa").empty()) {
        throw UsageError{"--tsa is for --level B-T, B-LT or B-LTA"};
    }

    if (is_xades) {
        client::XadesOptions o;
        o.level = level;
        o.algorithm = algorithm;
        o.time_stamper = stamper.get();
        o.claimed_roles = args.values("role");
        // B-LT: OCSP/CRL fetched here for the signer and TSA chains go into CertificateValues and
        // RevocationValues; a revoked signer is refused.
        pki::RevocationFetcher fetcher{revocation_options};
        o.revocation = &fetcher;
        const auto mime = args.option("mime");
        client::XmlSigner xml_signer{signer, o};
        Bytes signed_xml;
        // Only the digest of the canonical SignedInfo goes to the service (RemoteCscSigner: authorize for
        // that digest, then signHash); the document stays here.
        if (*packaging == client::Packaging::Enveloped) {
            signed_xml =
                xml_signer.sign(client::XadesContent::enveloped(read_file(in), mime.value_or("text/xml")));
        } else if (*packaging == client::Packaging::Enveloping) {
            signed_xml = xml_signer.sign(client::XadesContent::enveloping(
                {{read_file(in), mime.value_or("application/octet-stream")}}));
        } else {
            std::ifstream content{in, std::ios::binary};
            require(content.good(), Errc::NotFound, "cannot read " + in.string());
            // Referenced by its file name: the signature is meant to travel beside the file.
            signed_xml = xml_signer.sign(client::XadesContent::detached(
                {{in.filename().string(), &content, mime.value_or("application/octet-stream")}}));
        }
        write_output(out, signed_xml, overwrite);
        io.out << "signed " << in.string() << " → " << out.string() << " (hash mode, XAdES "
               << ades::name(level) << " " << xades::name(*packaging) << ", " << crypto::name(algorithm)
               << ")\n";
        return 0;
    }
    if (pades) {
        client::PadesOptions o;
        o.level = level;
        o.algorithm = algorithm;
        o.certify = certify;
        o.page = page;
        o.appearance = visible;
        o.field_name = args.option_or("field", "");
        o.reason = args.option_or("reason", "");
        o.location = args.option_or("location", "");
        o.name = args.option_or("name", "");
        o.contact_info = args.option_or("contact", "");
        o.time_stamper = stamper.get();
        // B-LT/B-LTA: the signer's and TSA's chains get OCSP responses or CRLs from their AIA/CDP URLs
        // (one fetcher, so one cache); a revoked signer is refused, no output.
        pki::RevocationFetcher fetcher{revocation_options};
        o.revocation = &fetcher;
        o.vri = args.flag("vri");
        o.document_time_stamp_validation = args.flag("timestamp-validation");
        document.reset();  // sign_pdf opens it again
        client::PdfSigner pdf_signer{signer, o};
        const client::PadesResult r = pdf_signer.sign(in, out);
        if (validation_file) {
            pki::ValidationData used = r.validation;
            if (!lt) {
                // B-B/B-T embed nothing: what a validator would need, fetched for the new signature.
                for (const auto& sig : pdf::Document::open(out).signatures()) {
                    if (sig.field_name == r.field_name) {
                        used.merge(ades::cms_validation_data(sig.contents, fetcher));
                    }
                }
            }
            write_output(*validation_file, as_bytes(validation_json(from_pki(used))), overwrite);
        }
        io.out << "signed " << in.string() << " → " << out.string() << " (hash mode, PAdES "
               << ades::name(level) << ", " << crypto::name(algorithm) << ", field " << r.field_name << ")\n";
        return 0;
    }
    client::CadesOptions o;
    o.level = level;
    o.algorithm = algorithm;
    o.time_stamper = stamper.get();
    // B-LT/B-LTA: OCSP/CRL fetched here go into SignedData.certificates/crls (and B-LTA adds an
    // archive-time-stamp-v3).
    pki::RevocationFetcher fetcher{revocation_options};
    o.revocation = &fetcher;
    pki::ValidationData used;
    o.validation_used = &used;
    Bytes cms;
    if (args.flag("detached")) {
        std::ifstream content{in, std::ios::binary};
        require(content.good(), Errc::NotFound, "cannot read " + in.string());
        cms = ades::sign_cades(client::CadesContent::detached(content), signer, o);
    } else {
        cms = ades::sign_cades(client::CadesContent::enveloping(read_file(in)), signer, o);
    }
    if (validation_file) {
        if (!lt) {
            used = ades::cms_validation_data(cms, fetcher);
        }
        write_output(*validation_file, as_bytes(validation_json(from_pki(used))), overwrite);
    }
    write_output(out, cms, overwrite);
    io.out << "signed " << in.string() << " → " << out.string() << " (hash mode, CAdES " << ades::name(level)
           << (args.flag("detached") ? " detached" : " enveloping") << ", " << crypto::name(algorithm)
           << ")\n";
    return 0;
}

}  // namespace

}  // namespace inkan::app
