// The validator's entry point (validation::validate_file: a PDF, a DER/PEM CMS or an XML signature by
// content), with the in-memory inkan PKI's root as trust anchor, and a detached CMS against fixed content;
// then every report format (JSON, ETSI TS 119 102-2 XML, text), where text from the file ends up in output.
#include <inkan/validation/report.h>
#include <inkan/validation/validator.h>

#include "../fuzz.h"
#include "../pki_env.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    validation::Options options;
    options.trust_anchors = {fuzz::PkiEnv::instance().root_der()};
    options.max_cms_bytes = 1 << 20;
    const std::string_view content = "inkan fuzz";
    const auto detached = validation::digest_of_bytes(Bytes{content.begin(), content.end()});

    std::vector<validation::DocumentReport> reports;
    const std::filesystem::path file = fuzz::write_file("input.bin", in);
    fuzz::refusing([&] { reports.push_back(validation::validate_file(file, std::nullopt, options)); });
    if (size > 0 && data[0] == 0x30) {
        fuzz::refusing([&] { reports.push_back(validation::validate_cms(in, detached, options)); });
    }
    (void)validation::to_json(reports);
    (void)validation::to_etsi_xml(reports, TimePoint{});
    (void)validation::to_text(reports);
    fuzz::refusing([&] { (void)validation::load_policy(fuzz::write_file("policy.toml", in)); });
    return 0;
}
