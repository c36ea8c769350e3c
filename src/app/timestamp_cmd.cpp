// `inkan timestamp FILE --url URL ...`: the RFC 3161 client for users.

#include <fstream>
#include <string>

#include <inkan/core/error.h>
#include <inkan/crypto/digest.h>
#include <inkan/tsp/client.h>

#include "args.h"
#include "commands.h"
#include "context.h"

namespace inkan::app {

namespace fs = std::filesystem;

int cmd_timestamp(const std::vector<std::string>& words, Io io) {
    const Args args{words, {"force"}, {"url", "o", "out", "hash", "cacert", "timeout-ms"}};
    if (args.positional().size() != 1) {
        throw UsageError{"timestamp takes one FILE"};
    }
    const std::vector<std::string> urls = args.values("url");
    if (urls.empty()) {
        throw UsageError{"timestamp needs at least one --url"};
    }
    const fs::path file = args.positional()[0];
    const auto alg = crypto::digest_from_name(args.option_or("hash", "sha256"));
    if (!alg || !crypto::spec(*alg).allowed_for_signing) {
        throw UsageError{"--hash must be sha256, sha384 or sha512"};
    }
    const fs::path out = args.option("o").value_or(args.option_or("out", file.string() + ".tsr"));
    const Overwrite overwrite = args.flag("force") ? Overwrite::Allow : Overwrite::Refuse;
    // Before asking the TSA: a refused OUT costs no time-stamp.
    refuse_existing_output(out, overwrite);
    TsaSettings tsa = tsa_settings(args, urls, timeout_option(args));
    std::ifstream in{file, std::ios::binary};
    require(in.good(), Errc::IoFailure, "cannot read " + file.string());
    const Bytes digest = crypto::digest(*alg, in);
    const tsp::Client client{std::move(tsa.endpoints), std::move(tsa.options)};
    const tsp::StampResult result = client.stamp(*alg, digest);

    write_output(out, result.response, overwrite);
    io.out << "time-stamped " << file.string() << " by " << result.url << " (policy " << result.info.policy
           << ", genTime " << format_rfc3339(result.info.gen_time) << "); response written to "
           << out.string() << "\n";
    return 0;
}

}  // namespace inkan::app
