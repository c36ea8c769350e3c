// `inkan extend IN OUT --tsa URL ...`: keeps a signed document alive, whoever signed it (issue 9 clause 4).
// A PDF (PAdES, ETSI EN 319 142-1 §5.4/§5.5): validation data for every signature and time-stamp in a
// DSS update, then a fresh document time-stamp. A CMS (CAdES, EN 319 122-1 §5.5.3): the missing
// validation data in SignedData.certificates / crls, then a fresh archive-time-stamp-v3
// (ades::extend_cades); a detached CMS needs its content (--content, hashed as a stream). An XML file
// (XAdES, EN 319 132-1 §5.5): every signature gets what it lacks up to B-LT, then a new
// xades141:ArchiveTimeStamp and its TimeStampValidationData (xades::extend_xades, spliced into the file's
// own bytes); a detached one needs its external documents (--content URI=FILE, or FILE named by its file
// name).

#include <algorithm>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>

#include <inkan/ades/cades.h>
#include <inkan/ades/lt.h>
#include <inkan/ades/time_stamper.h>
#include <inkan/cms/signed_data.h>
#include <inkan/core/error.h>
#include <inkan/pki/revocation.h>
#include <inkan/tsp/client.h>
#include <inkan/xades/xades.h>

#include "args.h"
#include "commands.h"
#include "context.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

Bytes read_whole(const fs::path& p) {
    std::ifstream in{p, std::ios::binary};
    require(in.good(), Errc::NotFound, "cannot read " + p.string());
    return Bytes{std::istreambuf_iterator<char>{in}, std::istreambuf_iterator<char>{}};
}

bool is_pdf(ByteView data) {
    static constexpr std::string_view kHeader = "%PDF";
    return data.size() >= kHeader.size() &&
           std::string_view{reinterpret_cast<const char*>(data.data()), kHeader.size()} == kHeader;
}

}  // namespace

int cmd_extend(const std::vector<std::string>& words, Io io) {
    const Args args{words,
                    {"vri", "timestamp-validation", "refuse-revoked", "force"},
                    {"tsa", "cacert", "timeout-ms", "proxy", "content"}};
    if (args.positional().size() != 2) {
        throw UsageError{"extend takes IN and OUT"};
    }
    const std::vector<std::string> urls = args.values("tsa");
    if (urls.empty()) {
        throw UsageError{"extend needs at least one --tsa URL (the document or archive time-stamp's TSA)"};
    }
    const std::chrono::milliseconds timeout = timeout_option(args);
    const fs::path in = args.positional()[0];
    const fs::path out = args.positional()[1];
    if (fs::exists(out) && fs::equivalent(in, out)) {
        throw UsageError{"extend writes a new file: OUT must not be IN"};
    }
    const Overwrite overwrite = args.flag("force") ? Overwrite::Allow : Overwrite::Refuse;
    refuse_existing_output(out, overwrite);
    const std::vector<std::string> contents = args.values("content");
    const std::optional<std::string> content_file =
        contents.empty() ? std::nullopt : std::optional<std::string>{contents.front()};

    // The format by content, not by name: %PDF → PAdES; a DER or PEM CMS → CAdES. Anything else goes
    // to the PDF path, whose refusal ("not a PDF") is the clearer one for a mistyped file.
    std::optional<Bytes> cms;
    std::optional<Bytes> xml;
    {
        std::ifstream head{in, std::ios::binary};
        require(head.good(), Errc::NotFound, "cannot read " + in.string());
        char first[64] = {};
        head.read(first, sizeof first);
        const ByteView start{reinterpret_cast<const std::uint8_t*>(first),
                             static_cast<std::size_t>(head.gcount())};
        if (xades::looks_like_xml(start)) {
            xml = read_whole(in);
        } else if (!is_pdf(start)) {
            cms = ades::cms_der(read_whole(in));
        }
    }
    if (!xml && contents.size() > 1) {
        throw UsageError{"--content is given once (the content of a detached CMS)"};
    }
    std::optional<cms::SignedData> parsed;
    if (cms) {
        try {
            parsed = cms::parse(*cms);
        } catch (const Error& e) {
            throw Error{Errc::InvalidEncoding, in.string() + " is not a CMS SignedData: " + e.detail()};
        }
        if (!parsed->content && !content_file) {
            throw UsageError{in.string() + " is a detached CMS: pass the signed content with --content FILE"};
        }
        if (parsed->content && content_file) {
            throw UsageError{in.string() + " encapsulates its content: --content is only for a detached CMS"};
        }
        if (args.flag("vri") || args.flag("timestamp-validation")) {
            throw UsageError{"--vri and --timestamp-validation are for PDF documents"};
        }
    } else if (xml) {
        if (args.flag("vri") || args.flag("timestamp-validation")) {
            throw UsageError{"--vri and --timestamp-validation are for PDF documents"};
        }
    } else if (content_file) {
        throw UsageError{"--content is for a detached CMS (CAdES) or XAdES; " + in.string() + " is neither"};
    }

    TsaSettings tsa = tsa_settings(args, urls, timeout);
    tsa.options.proxy = args.option("proxy");
    const tsp::Client client{std::move(tsa.endpoints), std::move(tsa.options)};
    ades::ClientTimeStamper stamper{client};

    // The user's own CLI fetches with the user's own reach: the permissive guard (http/https only, no
    // redirects, any address) and detailed errors; the server's guard is strict (decision 0016).
    pki::RevocationOptions revocation;
    revocation.guard = net::UrlGuard::permissive();
    revocation.timeout = timeout;
    revocation.proxy = args.option("proxy");
    pki::RevocationFetcher fetcher{revocation};

    if (xml) {
        const xades::XadesSummary summary = xades::inspect_xades(*xml);
        // External documents: URI=FILE, or FILE for the reference named by its file name.
        std::vector<std::pair<std::string, Bytes>> files;
        for (const auto& c : contents) {
            const auto eq = c.find('=');
            const std::string uri =
                eq == std::string::npos ? fs::path{c}.filename().string() : c.substr(0, eq);
            files.emplace_back(
                uri, read_whole(eq == std::string::npos ? fs::path{c} : fs::path{c.substr(eq + 1)}));
        }
        xades::XadesExtendOptions options;
        for (const auto& uri : summary.external_uris) {
            const auto f =
                std::find_if(files.begin(), files.end(), [&](const auto& p) { return p.first == uri; });
            if (f == files.end()) {
                throw UsageError{in.string() + " signs the external document \"" + uri +
                                 "\": pass it with --content " + uri + "=FILE"};
            }
            options.detached.push_back({uri, f->second});
        }
        pki::ValidationData used;
        options.refuse_revoked = args.flag("refuse-revoked");
        options.validation_used = &used;
        write_output(out, xades::extend_xades(*xml, stamper, &fetcher, options), overwrite);
        io.out << "extended " << in.string() << " (XAdES, " << summary.signatures << " signatures; "
               << used.certificates.size() << " certificates, " << used.ocsp_responses.size()
               << " OCSP responses, " << used.crls.size() << " CRLs) with an archive time-stamp; written to "
               << out.string() << "\n";
        return 0;
    }

    if (cms) {
        pki::ValidationData used;
        ades::CadesExtendOptions options;
        // As for a PDF: a signer revoked after signing keeps a valid signature unless the operator
        // asks to stop.
        options.refuse_revoked = args.flag("refuse-revoked");
        options.validation_used = &used;
        Bytes extended;
        if (content_file) {
            std::ifstream content{*content_file, std::ios::binary};
            require(content.good(), Errc::NotFound, "cannot read " + *content_file);
            extended = ades::extend_cades(*cms, ades::CadesExtendInput::detached(content), fetcher, stamper,
                                          options);
        } else {
            extended =
                ades::extend_cades(*cms, ades::CadesExtendInput::encapsulated(), fetcher, stamper, options);
        }
        write_output(out, extended, overwrite);
        io.out << "extended " << in.string() << " (CAdES, " << parsed->signer_infos.size() << " signers; "
               << used.certificates.size() << " certificates, " << used.ocsp_responses.size()
               << " OCSP responses, " << used.crls.size()
               << " CRLs) with an archive-time-stamp-v3; written to " << out.string() << "\n";
        return 0;
    }

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
