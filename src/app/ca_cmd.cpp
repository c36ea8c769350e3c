// `inkan ca ...`: the operator's view of the certificate authorities.

#include <fstream>
#include <iomanip>
#include <iterator>
#include <ostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/error.h>
#include <inkan/pki/certificate.h>
#include <inkan/pki/csr.h>
#include <inkan/pki/x509.h>

#include "args.h"
#include "commands.h"
#include "context.h"
#include "pki_context.h"
#include "renewal.h"
#include "service_context.h"
#include "storage_backend.h"

namespace inkan::app {

namespace {

struct Opened {
    std::unique_ptr<Runtime> runtime;
    std::shared_ptr<StorageBackend> storage;
    std::unique_ptr<PkiContext> pki;
};

Opened open_pki(const Args& args) {
    Opened o;
    o.runtime = open_runtime(args.option_or("data", ""));
    o.storage = StorageBackend::open(o.runtime->config);
    o.pki = std::make_unique<PkiContext>(o.runtime->config, o.runtime->token, SystemClock::instance(),
                                         *o.storage);
    return o;
}

std::string read_all(std::istream& in) {
    return {std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

std::string read_input_file(const std::string& path) {
    std::ifstream in{path, std::ios::binary};
    if (!in) {
        throw Error{Errc::NotFound, "cannot read " + path};
    }
    return read_all(in);
}

/// -o FILE (through the one output-file rule), else standard output.
void write_or_print(const Args& args, std::string_view data, std::ostream& out) {
    const auto path = args.option("o");
    if (!path || *path == "-") {
        out << data;
        return;
    }
    write_output(*path, data, args.flag("force") ? Overwrite::Allow : Overwrite::Refuse);
}

/// -o FILE checked before the work, so a refused OUT issues or signs nothing.
void check_output(const Args& args) {
    if (const auto path = args.option("o"); path && *path != "-") {
        refuse_existing_output(*path, args.flag("force") ? Overwrite::Allow : Overwrite::Refuse);
    }
}

std::string ca_or_default(const Args& args, const PkiContext& pki) {
    return args.option_or("ca", pki.default_ca());
}

std::string time_text(TimePoint t) {
    return format_rfc3339(t);
}

}  // namespace

int cmd_ca_list(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data"}};
    auto o = open_pki(args);
    const std::string def = o.pki->default_ca();
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& name : o.pki->names()) {
        const std::string kind = o.pki->kind(name);
        nlohmann::json j = {{"name", name}, {"kind", kind}, {"default", name == def}};
        if (kind == "builtin") {
            const auto& cert = o.pki->builtin(name).certificate();
            j["subject"] = cert.subject();
            j["not_after"] = time_text(cert.not_after());
            j["issued"] = o.pki->store().list(name).size();
            j["revoked"] = o.pki->store().revoked(name).size();
        } else {
            j["description"] = o.pki->connector(name).describe();
        }
        arr.push_back(j);
    }
    if (args.flag("json")) {
        io.out << arr.dump(2) << "\n";
        return 0;
    }
    for (const auto& j : arr) {
        io.out << std::left << std::setw(16) << j["name"].get<std::string>() << std::setw(9)
               << j["kind"].get<std::string>();
        if (j.contains("subject")) {
            io.out << j["subject"].get<std::string>() << " (until " << j["not_after"].get<std::string>()
                   << ", " << j["issued"].get<std::size_t>() << " issued, " << j["revoked"].get<std::size_t>()
                   << " revoked)";
        } else {
            io.out << j["description"].get<std::string>();
        }
        io.out << (j["default"].get<bool>() ? "  [default]" : "") << "\n";
    }
    return 0;
}

int cmd_ca_show(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "ca"}};
    auto o = open_pki(args);
    const std::string name = args.positional().empty() ? ca_or_default(args, *o.pki) : args.positional()[0];
    auto& ca = o.pki->builtin(name);
    const auto& cert = ca.certificate();
    if (args.flag("json")) {
        io.out << nlohmann::json{{"name", name},
                                 {"subject", cert.subject()},
                                 {"issuer", cert.issuer()},
                                 {"serial", cert.serial_hex()},
                                 {"not_before", time_text(cert.not_before())},
                                 {"not_after", time_text(cert.not_after())},
                                 {"certificate_url", ca.certificate_url()},
                                 {"crl_url", ca.crl_url()},
                                 {"ocsp_url", ca.ocsp_url()},
                                 {"pem", pki::certificates_pem(ca.chain())}}
                      .dump(2)
               << "\n";
        return 0;
    }
    io.out << "name:    " << name << "\n"
           << "subject: " << cert.subject() << "\n"
           << "issuer:  " << cert.issuer() << "\n"
           << "serial:  " << cert.serial_hex() << "\n"
           << "valid:   " << time_text(cert.not_before()) << " .. " << time_text(cert.not_after()) << "\n"
           << "crl:     " << ca.crl_url() << "\n"
           << "ocsp:    " << ca.ocsp_url() << "\n"
           << pki::certificates_pem(ca.chain());
    return 0;
}

int cmd_ca_issue(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"force"}, {"data", "ca", "profile", "csr", "days", "o"}};
    const auto profile = args.option("profile");
    const auto csr_file = args.option("csr");
    if (!profile || !csr_file) {
        throw UsageError{"ca issue needs --profile and --csr"};
    }
    check_output(args);
    // The service context too: issuing a certificate is an operator act the audit log records.
    auto o = open_service(args.option_or("data", ""));
    const std::string text = *csr_file == "-" ? read_all(io.in) : read_input_file(*csr_file);
    const std::string source = *csr_file == "-" ? "standard input" : *csr_file;
    const auto csr = [&] {
        // The parser's detail is OpenSSL's error queue: it tells the operator nothing they can act on.
        try {
            return text.find("-----BEGIN") != std::string::npos ? pki::Csr::from_pem(text)
                                                                : pki::Csr::from_der(as_bytes(text));
        } catch (const Error&) {
            throw InputError{source + " is not a certificate signing request (PKCS#10, PEM or DER)"};
        }
    }();
    pki::IssueOptions options;
    if (const auto days = args.option("days")) {
        options.validity_days = std::stoi(*days);
    }
    const std::string ca_name = ca_or_default(args, *o.pki);
    auto& ca = o.pki->builtin(ca_name);
    const pki::Certificate cert = ca.issue(csr, *profile, options);
    o.service->audit_operator("ca.issue", "", "",
                              nlohmann::json{{"ca", ca_name},
                                             {"profile", *profile},
                                             {"serial", cert.serial_hex()},
                                             {"subject", cert.subject()}}
                                  .dump());
    std::vector<Bytes> chain{cert.der()};
    chain.insert(chain.end(), ca.chain().begin(), ca.chain().end());
    write_or_print(args, pki::certificates_pem(chain), io.out);
    io.err << "inkan: issued serial " << cert.serial_hex() << " to " << cert.subject() << " (" << *profile
           << ")\n";
    return 0;
}

int cmd_ca_revoke(const std::vector<std::string>& words, Io io) {
    const Args args{words, {}, {"data", "ca", "reason"}};
    if (args.positional().size() != 1) {
        throw UsageError{"ca revoke takes one SERIAL"};
    }
    const Bytes serial = pki::serial_from_hex(args.positional()[0]);
    const pki::RevocationReason reason =
        pki::revocation_reason_from_name(args.option_or("reason", "unspecified"));
    auto o = open_service(args.option_or("data", ""));
    std::string ca_name;
    if (const auto ca = args.option("ca")) {
        ca_name = *ca;
    } else {
        const auto found = o.pki->store().find_serial(serial);
        if (found.empty()) {
            throw Error{Errc::NotFound, "no CA issued serial " + pki::serial_hex(serial)};
        }
        if (found.size() > 1) {
            throw UsageError{"serial " + pki::serial_hex(serial) +
                             " was issued by several CAs; name one with --ca"};
        }
        ca_name = found.front().ca;
    }
    o.pki->builtin(ca_name).revoke(serial, reason, SystemClock::instance().now());
    o.service->audit_operator(
        "ca.revoke", "", "",
        nlohmann::json{{"ca", ca_name}, {"serial", pki::serial_hex(serial)}, {"reason", pki::name(reason)}}
            .dump());
    io.out << "inkan: revoked " << pki::serial_hex(serial) << " of " << ca_name << " (" << pki::name(reason)
           << ")\n";
    return 0;
}

int cmd_ca_crl(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"pem", "force"}, {"data", "ca", "o"}};
    check_output(args);
    auto o = open_pki(args);
    const Bytes crl = o.pki->builtin(ca_or_default(args, *o.pki)).crl();
    const std::string data = args.flag("pem") ? pki::pem_encode("X509 CRL", crl) : to_string(crl);
    write_or_print(args, data, io.out);
    return 0;
}

int cmd_ca_ocsp(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"force"}, {"data", "in", "o"}};
    check_output(args);
    const std::string request = args.option("in") ? read_input_file(*args.option("in")) : read_all(io.in);
    auto o = open_pki(args);
    const Bytes response = o.pki->ocsp_response(as_bytes(request));
    write_or_print(args, to_string(response), io.out);
    return 0;
}

int cmd_ca_renew(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"json"}, {"data", "days", "key-type", "ca", "name"}};
    if (args.positional().size() != 1) {
        throw UsageError{"ca renew takes one of tsa, ocsp, tls"};
    }
    RenewRequest request;
    request.role = args.positional()[0];
    request.name = args.option_or("name", "");
    request.ca = args.option_or("ca", "");
    try {
        (void)renewal_section(request);
    } catch (const Error& e) {
        throw UsageError{e.detail()};
    }
    if (const auto days = args.option("days")) {
        std::size_t used = 0;
        int n = 0;
        try {
            n = std::stoi(*days, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used != days->size() || n < 1 || n > 36500) {
            throw UsageError{"--days takes a number of days (1..36500)"};
        }
        request.days = n;
    }
    if (const auto key = args.option("key-type")) {
        request.key = hsm::key_spec_from_name(*key);
        if (!request.key) {
            throw UsageError{"--key-type takes rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384 or ec-p521"};
        }
    }
    auto o = open_service(args.option_or("data", ""));
    const RenewResult r = renew_service_certificate(o.runtime->data_dir, o.runtime->config, o.runtime->token,
                                                    *o.pki, request, SystemClock::instance());
    const nlohmann::json j{{"role", r.role},
                           {"section", r.section},
                           {"ca", r.ca},
                           {"subject", r.subject},
                           {"old_serial", r.old_serial},
                           {"new_serial", r.new_serial},
                           {"old_key_id", r.old_key_id},
                           {"new_key_id", r.new_key_id},
                           {"old_certificate", r.old_certificate.string()},
                           {"certificate", r.new_certificate.string()},
                           {"not_after", format_rfc3339(r.not_after)}};
    // After the switch (the configuration's rename): the audit says what the configuration now says.
    o.service->audit_operator("ca.renew", "", "", j.dump());
    if (args.flag("json")) {
        io.out << j.dump(2) << "\n";
    } else {
        io.out << "inkan: renewed the " << r.section << " certificate: serial " << r.new_serial << " (until "
               << format_rfc3339(r.not_after) << "), key " << r.new_key_id << "\n"
               << "inkan: " << r.new_certificate.string() << " is configured; serial " << r.old_serial
               << " is retired and stays published\n";
    }
    io.err << "inkan: a running `inkan serve` switches on SIGHUP (kill -HUP <pid>)\n";
    return 0;
}

}  // namespace inkan::app
