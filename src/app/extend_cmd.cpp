// `inkan extend IN OUT --tsa URL ...`: keeps a PAdES document alive (ETSI EN 319 142-1 §5.4/§5.5):
// validation data for every signature and time-stamp in a DSS update, then a fresh document
// time-stamp. Works on documents inkan did not sign.

#include <string>

#include <inkan/ades/lt.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/core/error.h>
#include <inkan/pki/revocation.h>
#include <inkan/tsp/client.h>

#include "args.h"
#include "commands.h"
#include "context.h"

namespace inkan::app {

namespace fs = std::filesystem;

int cmd_extend(const std::vector<std::string>& words, Io io) {
    const Args args{
        words, {"vri", "timestamp-validation", "refuse-revoked"}, {"tsa", "cacert", "timeout-ms", "proxy"}};
    if (args.positional().size() != 2) {
        throw UsageError{"extend takes IN and OUT"};
    }
    const std::vector<std::string> urls = args.values("tsa");
    if (urls.empty()) {
        throw UsageError{"extend needs at least one --tsa URL (the document time-stamp's TSA)"};
    }
    const std::chrono::milliseconds timeout = timeout_option(args);
    const fs::path in = args.positional()[0];
    const fs::path out = args.positional()[1];
    if (fs::exists(out) && fs::equivalent(in, out)) {
        throw UsageError{"extend writes a new file: OUT must not be IN"};
    }

    TsaSettings tsa = tsa_settings(args, urls, timeout);
    tsa.options.proxy = args.option("proxy");
    const tsp::Client client{std::move(tsa.endpoints), std::move(tsa.options)};
    ades::ClientTimeStamper stamper{client};

    pki::RevocationOptions revocation;
    revocation.timeout = timeout;
    revocation.proxy = args.option("proxy");
    pki::RevocationFetcher fetcher{revocation};

    ades::ExtendOptions options;
    options.lt.vri = args.flag("vri");
    // A signer revoked after signing keeps a valid signature (its time-stamp proves the time); the
    // revoked status is embedded as it is unless the operator asks to stop.
    options.lt.refuse_revoked = args.flag("refuse-revoked");
    options.document_time_stamp_validation = args.flag("timestamp-validation");
    const ades::LtReport report = ades::extend_pdf(in, out, fetcher, stamper, options);
    io.out << "extended " << in.string() << " (" << report.signatures << " signatures and time-stamps; "
           << report.data.certificates.size() << " certificates, " << report.data.ocsp_responses.size()
           << " OCSP responses, " << report.data.crls.size()
           << " CRLs) with a document time-stamp; written to " << out.string() << "\n";
    return 0;
}

}  // namespace inkan::app
