// ETSI TS 119 612 trusted lists (issue 17, decision 0030): tl::parse under tight limits (scheme
// information, pointers, services, history, extensions; base64 certificates), tl::judge's structural
// checks of the enveloped signature (no signer certificates: the validator is the validator target's),
// and the conversion of the services into validation::TrustedService periods.
#include <inkan/tl/trusted_list.h>

#include "../fuzz.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    xades::ParseLimits limits = tl::list_limits();
    limits.max_bytes = std::size_t{1} << 20;
    fuzz::refusing([&] {
        tl::TrustSet set;
        tl::LoadedList l;
        l.source = "fuzz";
        l.list = tl::parse(in, limits);
        // As if its signature were valid: every service becomes TrustedService periods.
        l.signature = tl::SignatureStatus::Valid;
        set.lists.push_back(std::move(l));
        for (const auto& s : tl::services(set)) {
            (void)s.granted_at(TimePoint{});
        }
        (void)tl::to_json(set, TimePoint{});
        (void)tl::to_text(set, TimePoint{});
    });
    fuzz::refusing([&] { (void)tl::judge(in, "fuzz", {}); });
    return 0;
}
