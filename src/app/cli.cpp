#include "cli.h"

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>

#include <inkan/core/error.h>
#include <inkan/net/client.h>
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
         "init [--data DIR] [--json] [--api-listen HOST:PORT (default 127.0.0.1:8443)] [--pki-listen "
         "HOST:PORT (default 127.0.0.1:8080)] [--pki-url URL (default http://PKI-LISTEN)] [--public-url URL "
         "(default https://API-LISTEN)] [--hsm-module PATH (default the SoftHSM module)] [--storage-url URL "
         "[--storage-password-file FILE | --storage-password-env VAR]]",
         "create the data directory: configuration, SoftHSM token and PIN files, the development PKI "
         "(root and issuing CA, TSA, OCSP responder, TLS certificate; keys in the HSM); idempotent; "
         "--storage-url: the schema in an empty PostgreSQL database (several nodes) instead of SQLite, its "
         "password from a file or a variable, never argv",
         cmd_init},
        {{"timestamp"},
         "timestamp FILE --url URL [--url URL2 ...] [-o OUT.tsr (default FILE.tsr)] [--force] [--hash "
         "sha256|sha384|sha512 (default sha256)] [--cacert FILE] [--timeout-ms N (default 10000)]",
         "time-stamp FILE with the first TSA that answers (RFC 3161, failover in order); writes the whole "
         "TimeStampResp (what `openssl ts -verify -in` reads) to OUT (default FILE.tsr) after checking it; "
         "--cacert: trust anchors the TSA chain must lead to (PEM)",
         cmd_timestamp},
        {{"sign"},
         "sign --url URL --user U --credential ID [--mode hash|doc (default hash)] [--format "
         "pades|cades|xades (default pades)] [--packaging enveloped|enveloping|detached (default enveloped)] "
         "[--mime TYPE] [--role R]... [--level B-B|B-T|B-LT|B-LTA (default B-B)] [--tsa URL]... "
         "[--revocation-timeout-ms N] [--proxy URL] "
         "[--validation-info FILE] [--vri] [--timestamp-validation] [--certify 1|2|3] [--visible "
         "PAGE,X,Y,W,H [--image FILE | --seal-style round|square|oval [--seal-text T]] [--display-name N] "
         "[--font TTF] [--vertical] [--date-style western|japanese] [--labels en|ja]] [--field NAME] "
         "[--reason "
         "R] "
         "[--location L] [--name N] [--contact C] [--detached] [--pss] [--csc v1|v2 (default v2)] [--cacert "
         "FILE] [--force] IN OUT",
         "sign IN into OUT at a CSC service (--url: the base URL or the /csc/v1 or /csc/v2 URL `inkan "
         "serve` prints): PAdES (PDF), CAdES (--detached: a .p7s beside the data) or "
         "XAdES "
         "(hash mode, B-B/B-T: enveloped into an XML IN, enveloping any IN, or detached referencing IN by "
         "its "
         "file name); hash "
         "mode signs here through authorize + signHash (B-T from --tsa URLs, else the service's timestamp), "
         "doc mode sends the document to signDoc; password, PIN and OTP from INKAN_PASSWORD, INKAN_PIN, "
         "INKAN_OTP or a terminal prompt; OUT appears only on success and an existing OUT is kept unless "
         "--force; --cacert: the service's TLS trust anchor",
         cmd_sign},
        {{"extend"},
         "extend IN OUT --tsa URL [--tsa URL2 ...] [--content FILE|URI=FILE ...] [--cacert FILE] "
         "[--timeout-ms N (default 10000)] [--proxy URL] [--vri] [--timestamp-validation] [--refuse-revoked] "
         "[--force]",
         "B-LTA upkeep of a PDF (PAdES), a CMS (CAdES, DER or PEM) or an XML file (XAdES): adds OCSP "
         "responses/CRLs and certificates for every signature and time-stamp in IN (PDF: a DSS update; CMS: "
         "SignedData certificates/crls; XML: a SignatureTimeStamp and CertificateValues/RevocationValues "
         "where missing), then a document time-stamp (CMS: an archive-time-stamp-v3; XML: a "
         "xades141:ArchiveTimeStamp with its TimeStampValidationData); --content: the signed content of a "
         "detached CMS, or URI=FILE for each external document of a detached XAdES; fails with no OUT when "
         "revocation data or the TSA cannot be "
         "reached; --timestamp-validation (PDF) also adds the new time-stamp's own validation data",
         cmd_extend},
        {{"verify"},
         "verify [--trust-anchor PEM]... [--trusted-list FILE|DIR]... [--list-signer PEM]... [--trust-file "
         "TOML]... [--data DIR] [--content FILE | --content URI=FILE...] [--online [--timeout-ms N (default "
         "10000)] [--proxy URL]] [--at RFC3339 (default now)] [--policy FILE] [--json] [--etsi-report "
         "OUT.xml] [--force] FILE... | ... --csv OUT.csv|- [--excel] [--json-report OUT.json] [--jobs N "
         "(default all cores)] [--force] FILE|DIR|-...",
         "validate every signature and time-stamp in each FILE (PDF: PAdES and PDF signatures, document "
         "time-stamps, changes after signing; CMS: CAdES, counter-signatures, --content for a detached one; "
         "XML: "
         "XAdES and XML-DSig, --content URI=FILE for each external reference) "
         "per ETSI EN 319 102-1 against the --trust-anchor certificates (none: nothing is trusted) and the "
         "services granted in --trusted-list lists (signatures checked against --list-signer and LOTL "
         "pointers and pivot LOTLs; qualified / tsa_accredited in the report; a list past its next update "
         "is not used) or in a --trust-file or DIR/inkan.toml with --data ([validation] "
         "accredited_tsa, trust_anchors, trusted_lists, list_signers; the configuration `serve` uses); "
         "offline "
         "unless --online (revocation data the file lacks by OCSP/CRL, missing issuers by AIA); --at: the "
         "validation time; --policy: cryptographic constraints (TOML); --etsi-report: the ETSI TS 119 102-2 "
         "XML report; --json: the report of README \"inkan verify\"; --csv: a batch (directories "
         "recursively, - for names on stdin) on --jobs threads (default all cores), one CSV row per "
         "signature "
         "and document time-stamp in input order (--excel: BOM and CRLF), --json-report: the batch as one "
         "report; exit 0 when all are TOTAL-PASSED, 1 otherwise, 2 for usage errors or unreadable files, 130 "
         "after Ctrl-C in a batch",
         cmd_verify},
        {{"tl", "fetch"},
         "tl fetch [--lotl URL|FILE (default the EU LOTL)] [--cache DIR (default ./tl-cache)] [--allow "
         "ORIGIN]... [--timeout-ms N (default 10000)]",
         "fetch the EU list of trusted lists (default the Commission's URL; a FILE works offline) and every "
         "XML "
         "trusted list it points to into DIR (default ./tl-cache), and its pivot LOTLs; a cached list whose "
         "NextUpdate is ahead (a pivot: any cached one) is kept; URLs go through the URL guard (public "
         "addresses only; --allow adds an origin or CIDR)",
         cmd_tl_fetch},
        {{"tl", "show"},
         "tl show FILE|DIR... [--list-signer PEM]... [--at RFC3339 (default now)] [--json]",
         "ETSI TS 119 612 trusted lists: scheme information, signature status (the LOTL against "
         "--list-signer, the OJEU-published LOTL signers, through its pivot LOTLs; a national list against "
         "the certificates its LOTL pointer announces), expired when past its next update (its services "
         "then not trusted), pointers, TSPs and services with their status at --at (default now); exit 1 "
         "if a signature is not valid or a list has expired",
         cmd_tl_show},
        {{"serve"},
         "serve [--data DIR] [--api-listen HOST:PORT (default api.listen)] [--pki-listen HOST:PORT "
         "(default pki.listen)] [--metrics-listen HOST:PORT|off (default metrics.listen, else "
         "127.0.0.1:9464)] [--routes]",
         "serve the CSC API (v1, v2) over HTTPS, the PKI endpoints (/ocsp, /crl, /ca, /tsa) over HTTP and "
         "/metrics on a loopback listener until SIGTERM; prints one JSON line with the URLs; --routes lists "
         "the routes and exits",
         cmd_serve},
        {{"maintenance"},
         "maintenance on|off|status [--data DIR]",
         "switch maintenance mode: while on, /readyz of a running server answers 503 (load balancers drain "
         "it); on and off are audited under the operator's name",
         cmd_maintenance},
        {{"migrate"},
         "migrate [--data DIR] [--json]",
         "upgrade the configured database's schema (SQLite or PostgreSQL) to this version of inkan and print "
         "the versions from and to; nodes starting at once migrate once (under a lock)",
         cmd_migrate},
        {{"purge"},
         "purge [--data DIR] [--json]",
         "remove expired SADs, tokens, OAuth codes and pending authorizations, account_token records and "
         "spent OTP steps once, in small batches (beside a running server too; `serve` does it every "
         "housekeeping.interval_seconds); prints the counts; the audit log is never purged",
         cmd_purge},
        {{"backup"},
         "backup --to DIR [--data DIR] [--json]",
         "back up a data directory, also while it is serving: a consistent snapshot of the database "
         "(SQLite online backup), the configuration, PKI and PIN files, the SoftHSM token directory, and "
         "manifest.json with each file's SHA-256; DIR must be new or empty",
         cmd_backup},
        {{"restore"},
         "restore --from DIR --data NEW [--json]",
         "restore a backup into a new or empty data directory after checking every file's SHA-256 and the "
         "audit chain; retires the SADs and revokes the tokens the backup holds (docs/backup.md)",
         cmd_restore},
        {{"status"},
         "status [--data DIR] [--json]",
         "certificate lifecycle: days left for the TLS, TSA, OCSP-signer and CA certificates, credentials "
         "expiring within 30 days, and the warnings /readyz shows ([lifecycle] warn_days, default 30)",
         cmd_status},
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
         "ca issue --profile person|seal|tsa|ocsp|tls|ca --csr FILE|- [--ca NAME (default the default CA)] "
         "[--days N (default the profile's)] [-o OUT|- (default standard output)] [--force] [--data DIR]",
         "issue a certificate for a CSR under a profile (person, seal, tsa, ocsp, tls, ca); prints the "
         "chain; "
         "audited (ca.issue)",
         cmd_ca_issue},
        {{"ca", "revoke"},
         "ca revoke SERIAL [--reason R (default unspecified)] [--ca NAME (default the CA that issued "
         "SERIAL)] [--data DIR]",
         "revoke a certificate (reasons: RFC 5280 names, e.g. keyCompromise, superseded); audited "
         "(ca.revoke)",
         cmd_ca_revoke},
        {{"ca", "crl"},
         "ca crl [--ca NAME (default the default CA)] [--pem] [-o FILE|- (default standard output)] "
         "[--force] [--data DIR]",
         "a freshly signed CRL (DER unless --pem)",
         cmd_ca_crl},
        {{"ca", "ocsp"},
         "ca ocsp [--in request.der] [-o response.der] [--force] [--data DIR]   (or < request.der > "
         "response.der)",
         "answer an OCSP request (RFC 6960) for the built-in CAs",
         cmd_ca_ocsp},
        {{"ca", "renew"},
         "ca renew tsa|ocsp|tls [--name TSA] [--days N] [--key-type "
         "rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384|ec-p521 (default the current key's)] [--ca NAME] "
         "[--json] [--data DIR]",
         "new HSM key and certificate for the TSA, OCSP responder or TLS listener, switched in inkan.toml "
         "(the "
         "old one kept, retired, still published); `inkan serve` takes it on SIGHUP",
         cmd_ca_renew},
        {{"user", "add"},
         "user add NAME [--display-name TEXT] [--role user|operator|auditor (default user)] "
         "[--password-stdin] [--totp] [--json] [--data DIR]",
         "create a user; without --password-stdin a random password is generated; the password and the "
         "otpauth:// URI (--totp) are printed once",
         cmd_user_add},
        {{"user", "list"},
         "user list [--json] [--data DIR]",
         "users: name, role, locks in force (locked: the account; pw-lock: password guessing; otp-lock: "
         "wrong one-time codes; pin-lock: a credential's PIN), TOTP, display name",
         cmd_user_list},
        {{"user", "show"},
         "user show NAME [--json] [--data DIR]",
         "one user: role, TOTP, and every lock in force with its count and the command that clears it",
         cmd_user_show},
        {{"user", "lock"},
         "user lock NAME [--data DIR]",
         "lock a user: no login, existing tokens stop working",
         cmd_user_lock},
        {{"user", "role"},
         "user role NAME operator|auditor|user [--data DIR]",
         "change a user's role (not your own); it holds from their next request; the console's role form "
         "does the same",
         cmd_user_role},
        {{"user", "unlock"},
         "user unlock NAME [--data DIR]",
         "clear the user's own locks: the account lock, the password lock and the one-time-code lock "
         "(wrong OTPs, which refuses all their credentials); says which it cleared; a credential's PIN "
         "lock is `credential unlock`",
         cmd_user_unlock},
        {{"user", "passwd"},
         "user passwd NAME --password-stdin [--data DIR]",
         "set a user's password (one line of standard input)",
         cmd_user_passwd},
        {{"user", "totp"},
         "user totp NAME [--json] [--data DIR]",
         "enrol a new TOTP device (the old one stops working); prints the otpauth:// URI once",
         cmd_user_totp},
        {{"credential", "create"},
         "credential create --user NAME [--algo rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384|ec-p521 (default "
         "ec-p256)] [--ca NAME (default the default CA)] [--profile person|seal (default person)] "
         "[--organization O --org-id NTRJP-...] [--scal 1|2] [--multisign N] [--auth-mode "
         "explicit|oauth2code (default explicit)] [--signature-qualifier eu_eidas_aes|eu_eidas_qes|... "
         "(default by kind)] [--pin-stdin] [--description TEXT] [--common-name CN] [--given-name GN] "
         "[--surname SN] [--country C (default JP)] [--json] [--data DIR]",
         "generate a key in the HSM, enrol it at a CA and store the credential; a personal credential "
         "gets a PIN (stdin, or a random 6-digit one printed once) unless --auth-mode oauth2code (authorised "
         "through OAuth2 only); a seal (--profile seal) needs no --user",
         cmd_credential_create},
        {{"credential", "list"},
         "credential list [--user NAME] [--json] [--data DIR]",
         "credentials (of one user: own and seals they are a member of)",
         cmd_credential_list},
        {{"credential", "show"},
         "credential show ID [--json] [--data DIR]",
         "a credential: status, key, SCAL, certificate chain, seal members, and the PIN and one-time-code "
         "locks that refuse it",
         cmd_credential_show},
        {{"credential", "revoke"},
         "credential revoke ID [--reason R (default unspecified)] [--data DIR]",
         "revoke the certificate (built-in CAs), disable the credential and destroy its key",
         cmd_credential_revoke},
        {{"credential", "unlock"},
         "credential unlock ID [--data DIR]",
         "clear the PIN lock of a credential (every user's wrong-PIN count for it); refused, naming `user "
         "unlock`, when the lock in force is a user's one-time-code lock",
         cmd_credential_unlock},
        {{"credential", "import-cert"},
         "credential import-cert ID --cert FILE [--trust-anchor FILE (default the configured root)] [--data "
         "DIR]",
         "attach a certificate from an external CA to a pending credential (checked against the HSM key "
         "and the trust anchor, default the configured root)",
         cmd_credential_import_cert},
        {{"credential", "renew"},
         "credential renew ID [--algo rsa-2048|rsa-3072|rsa-4096|ec-p256|ec-p384|ec-p521 (default the old "
         "key's)] [--json] [--data DIR]",
         "new key and certificate under a new credential ID linked to the old; the old one is disabled for "
         "signing, its key and certificate kept (same owner, PIN, members, policy)",
         cmd_credential_renew},
        {{"client", "add"},
         "client add NAME (--redirect-uri URI)... [--public|--confidential (default confidential)] [--seal "
         "CRED]... [--json] [--data DIR]",
         "register an OAuth 2.0 client (confidential by default: its client_secret is printed once); --seal "
         "lets a confidential client seal with these seal credentials without a human (client_credentials)",
         cmd_client_add},
        {{"client", "list"},
         "client list [--json] [--data DIR]",
         "OAuth 2.0 clients (not removed)",
         cmd_client_list},
        {{"client", "remove"},
         "client remove NAME|ID [--data DIR]",
         "remove an OAuth 2.0 client: its tokens stop working",
         cmd_client_remove},
        {{"seal", "add-member"},
         "seal add-member CRED USER [--pin-stdin] [--json] [--data DIR]",
         "let a user activate a seal with a PIN of their own (stdin, or a random one printed once)",
         cmd_seal_add_member},
        {{"seal", "remove-member"},
         "seal remove-member CRED USER [--data DIR]",
         "remove a seal member",
         cmd_seal_remove_member},
        {{"audit", "verify"},
         "audit verify [--archive FILE]... [--json] [--data DIR]",
         "recompute the audit chain (from the newest archive checkpoint) and check its TSA anchors and "
         "checkpoints; --archive checks archive files (seal, time-stamp, chain, link to their checkpoint) "
         "and "
         "that none is missing; exit 1 naming the first edited, deleted or moved entry, or newest entries "
         "deleted after an anchor",
         cmd_audit_verify},
        {{"audit", "archive"},
         "audit archive --before RFC3339 -o FILE (never overwritten) [--json] [--data DIR]",
         "move the oldest audit entries (time < before, never the newest) into FILE, sealed by the service "
         "and time-stamped (CAdES-B-T), then remove them keeping a signed checkpoint (docs/backup.md)",
         cmd_audit_archive},
        {{"audit", "anchor"},
         "audit anchor [--json] [--data DIR]",
         "time-stamp the audit chain's head now with inkan's TSA (inkan serve also does so periodically)",
         cmd_audit_anchor},
        {{"audit", "anchors"},
         "audit anchors [--export DIR] [--force] [--json] [--data DIR]",
         "list the audit chain's anchors; --export writes each TimeStampToken to DIR/anchor-N.tst",
         cmd_audit_anchors},
        {{"audit", "export"},
         "audit export [--from RFC3339] [--to RFC3339] [--actor NAME] [--action A] [--user NAME|ID] "
         "[--credential ID|DESCRIPTION] [--outcome ok|failed|OUTCOME] [--format csv|json (default csv)] "
         "[-o FILE|- (default standard output)] [--force] [--data DIR]",
         "audit entries with from <= time < to that match every filter, in sequence order, with user, client "
         "and credential names next to their ids (default csv to standard output); --actor is the operator "
         "(INKAN_OPERATOR or the OS user) or the signed-in user or client, --action a name (user.add) or a "
         "family (user)",
         cmd_audit_export},
    };
    return table;
}

/// The words of a group ("ca", "user", ...): commands whose path has more than one word.
bool is_group(std::string_view word) {
    return std::any_of(commands().begin(), commands().end(),
                       [&](const Command& c) { return c.path.size() > 1 && c.path[0] == word; });
}

void print_group_help(std::ostream& out, std::string_view group) {
    out << "usage: inkan " << group << " SUBCOMMAND [OPTIONS]\n\nsubcommands:\n";
    for (const auto& c : commands()) {
        if (c.path.size() > 1 && c.path[0] == group) {
            out << "  inkan " << c.usage << "\n      " << c.summary << "\n";
        }
    }
    out << "\ninkan " << group << " SUBCOMMAND --help prints one subcommand's usage.\n";
}

bool is_help(std::string_view word) {
    return word == "--help" || word == "-h";
}

void print_help(std::ostream& out) {
    out << "inkan " << kVersion << " — remote signing service (CSC API, keys in a PKCS#11 HSM)\n\n"
        << "usage: inkan COMMAND [OPTIONS]\n\n"
        << "commands:\n";
    for (const auto& c : commands()) {
        out << "  inkan " << c.usage << "\n      " << c.summary << "\n";
    }
    out << "\n--data defaults to $INKAN_DATA, else ./inkan-data.\n"
        << "inkan --version prints the version; inkan --help prints this; inkan COMMAND --help (or -h) "
           "prints one command's usage.\n";
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
    if (match == nullptr && is_group(args[0])) {
        // "inkan ca" alone is asking what ca does, like "inkan" alone: the list, on stderr, exit 2.
        if (args.size() == 1 || is_help(args[1])) {
            const bool asked = args.size() > 1;
            print_group_help(asked ? out : err, args[0]);
            return asked ? 0 : 2;
        }
        err << "inkan: unknown command '" << args[0] << " " << args[1] << "'\n";
        print_group_help(err, args[0]);
        return 2;
    }
    if (match == nullptr) {
        err << "inkan: unknown command '" << args[0] << (args.size() > 1 ? " " + args[1] : "")
            << "'; see inkan --help\n";
        return 2;
    }
    const std::vector<std::string> rest{args.begin() + static_cast<std::ptrdiff_t>(match->path.size()),
                                        args.end()};
    // --help or -h anywhere before "--" (after it, words are positional: a file may be called -h).
    if (std::any_of(rest.begin(), std::find(rest.begin(), rest.end(), "--"),
                    [](const std::string& w) { return is_help(w); })) {
        out << "usage: inkan " << match->usage << "\n" << match->summary << "\n";
        return 0;
    }
    try {
        return match->run(rest, Io{in, out, err});
    } catch (const UsageError& e) {
        err << "inkan: " << e.message << "\nusage: inkan " << match->usage << "\n";
        return 2;
    } catch (const InputError& e) {
        err << "inkan: " << e.message << "\n";
        return 2;
    } catch (const Error& e) {
        if (net::certificate_not_trusted(e)) {
            // Not "unavailable": the service answered, but with a certificate nobody told us to trust.
            err << "inkan: " << e.detail()
                << "\ninkan: certificate not trusted: pass --cacert FILE (the data directory's "
                   "pki/root-ca.pem "
                   "for the embedded default)\n";
            return 1;
        }
        // The CLI's user is the operator: the detail (never a secret, by the Error contract) helps.
        err << "inkan: " << e.what() << " [" << errc_name(e.code()) << "]\n";
        return 1;
    } catch (const std::exception& e) {
        err << "inkan: " << e.what() << "\n";
        return 1;
    }
}

}  // namespace inkan::app
