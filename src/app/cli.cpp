#include "cli.h"

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>

#include <inkan/core/error.h>
#include <inkan/version.h>

#include "args.h"
#include "commands.h"

namespace inkan::app {

namespace {

struct Command {
    std::vector<std::string_view> path;  // e.g. {"hsm", "keys"}
    std::string_view usage;
    std::string_view summary;
    int (*run)(const std::vector<std::string>&, Io);
};

// The whole command table: --help prints it, dispatch walks it.
const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {{"init"},
         "init [--data DIR] [--json] [--api-listen HOST:PORT] [--pki-listen HOST:PORT] [--pki-url URL] "
         "[--hsm-module PATH]",
         "create the data directory: configuration, SoftHSM token and PIN files, the development PKI "
         "(root and issuing CA, TSA, OCSP responder, TLS certificate; keys in the HSM); idempotent",
         cmd_init},
        {{"serve"}, "serve [--data DIR]", "serve the CSC API and PKI endpoints", cmd_serve},
        {{"hsm", "status"},
         "hsm status [--data DIR] [--json]",
         "PKCS#11 module and token information",
         cmd_hsm_status},
        {{"hsm", "keys"},
         "hsm keys [--data DIR] [--json]",
         "objects on the token: label, id, type, size, sensitive/extractable flags",
         cmd_hsm_keys},
        {{"ca", "list"},
         "ca list [--data DIR] [--json]",
         "the configured CAs (builtin, manual, cmp)",
         cmd_ca_list},
        {{"ca", "show"},
         "ca show [NAME] [--data DIR] [--json]",
         "a built-in CA's certificate, chain and URLs",
         cmd_ca_show},
        {{"ca", "issue"},
         "ca issue --profile P --csr FILE|- [--ca NAME] [--days N] [-o OUT]",
         "issue a certificate for a CSR under a profile (person, seal, tsa, ocsp, tls, ca); prints the chain",
         cmd_ca_issue},
        {{"ca", "revoke"},
         "ca revoke SERIAL [--reason R] [--ca NAME]",
         "revoke a certificate (reasons: RFC 5280 names, e.g. keyCompromise, superseded)",
         cmd_ca_revoke},
        {{"ca", "crl"},
         "ca crl [--ca NAME] [--pem] [-o FILE]",
         "a freshly signed CRL (DER unless --pem)",
         cmd_ca_crl},
        {{"ca", "ocsp"},
         "ca ocsp [--in request.der] [-o response.der]   (or < request.der > response.der)",
         "answer an OCSP request (RFC 6960) for the built-in CAs",
         cmd_ca_ocsp},
    };
    return table;
}

void print_help(std::ostream& out) {
    out << "inkan " << kVersion << " — remote signing service (CSC API, keys in a PKCS#11 HSM)\n\n"
        << "usage: inkan COMMAND [OPTIONS]\n\n"
        << "commands:\n";
    for (const auto& c : commands()) {
        out << "  inkan " << c.usage << "\n      " << c.summary << "\n";
    }
    out << "\n--data defaults to $INKAN_DATA, else ./inkan-data.\n"
        << "inkan --version prints the version; inkan --help prints this.\n";
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
    if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
        print_help(args.empty() ? err : out);
        return args.empty() ? 2 : 0;
    }
    if (args[0] == "--version") {
        out << "inkan " << kVersion << "\n";
        return 0;
    }
    const Command* match = nullptr;
    for (const auto& c : commands()) {
        if (args.size() >= c.path.size() && std::equal(c.path.begin(), c.path.end(), args.begin())) {
            match = &c;
            break;
        }
    }
    if (match == nullptr) {
        err << "inkan: unknown command '" << args[0] << (args.size() > 1 ? " " + args[1] : "")
            << "'; see inkan --help\n";
        return 2;
    }
    const std::vector<std::string> rest{args.begin() + static_cast<std::ptrdiff_t>(match->path.size()),
                                        args.end()};
    if (std::find(rest.begin(), rest.end(), "--help") != rest.end()) {
        out << "usage: inkan " << match->usage << "\n" << match->summary << "\n";
        return 0;
    }
    try {
        return match->run(rest, Io{in, out, err});
    } catch (const UsageError& e) {
        err << "inkan: " << e.message << "\nusage: inkan " << match->usage << "\n";
        return 2;
    } catch (const Error& e) {
        // The CLI's user is the operator: the detail (never a secret, by the Error contract) helps.
        err << "inkan: " << e.what() << " [" << errc_name(e.code()) << "]\n";
        return 1;
    } catch (const std::exception& e) {
        err << "inkan: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace inkan::app
