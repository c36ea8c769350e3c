#include "trust_config.h"

#include <chrono>

namespace inkan::app {

TrustConfiguration load_trust_configuration(const std::vector<std::filesystem::path>& trust_files,
                                            std::vector<std::filesystem::path> lists,
                                            std::vector<Bytes> list_signers) {
    TrustConfiguration out;
    for (const auto& f : trust_files) {
        tl::TrustFile tf = tl::load_trust_file(f);  // a bad file: Errc::InvalidConfig naming the key
        out.configured = out.configured || !tf.services.empty();
        lists.insert(lists.end(), tf.trusted_lists.begin(), tf.trusted_lists.end());
        list_signers.insert(list_signers.end(), tf.list_signers.begin(), tf.list_signers.end());
        if (!tf.anchors.empty() || !tf.services.empty()) out.sources.push_back(tl::source_of(tf, f.string()));
    }
    if (lists.empty()) return out;
    out.configured = true;
    tl::LoadOptions options;
    options.list_signers = std::move(list_signers);
    out.lists = tl::load(lists, options);
    for (auto& s : tl::sources(out.lists))
        out.sources.push_back(std::move(s));
    for (const auto& l : out.lists.lists) {
        if (l.role == "pivot" || l.role == "superseded") continue;
        if (l.signature != tl::SignatureStatus::Valid) {
            out.problems.push_back(
                "trusted list " + l.source + ": signature " + std::string{tl::name(l.signature)} +
                (l.detail.empty() ? "" : " (" + l.detail + ")") + ": its services are not trusted");
        } else if (l.expired) {
            out.problems.push_back("trusted list " + l.source + " is past its next update " +
                                   format_rfc3339(*l.relied_until) + ": its services are not trusted");
        }
    }
    return out;
}

}  // namespace inkan::app
