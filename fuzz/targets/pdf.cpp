// pdf::Document (qpdf underneath, inkan's own checks on top): open, the signature fields and their
// signature dictionaries, DocMDP, the DSS, the revisions of the incremental updates and the
// modification analysis between each revision and the whole file (compare_revisions), and an
// incremental update inkan writes onto the input, which must open again.
#include <inkan/pdf/document.h>

#include "../fuzz.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::filesystem::path input = fuzz::write_file("input.pdf", fuzz::bytes(data, size));
    fuzz::refusing([&] {
        for (const std::uint64_t end : pdf::revision_ends(input)) {
            if (end < size) {
                fuzz::refusing([&] { (void)pdf::compare_revisions(input, end, std::nullopt); });
                fuzz::refusing([&] {
                    (void)pdf::compare_revisions(input, end, 2,
                                                 pdf::FieldLock{pdf::FieldLock::Action::Include, {"a"}});
                });
            }
        }
    });
    fuzz::refusing([&] {
        const pdf::Document doc = pdf::Document::open(input);
        (void)doc.page_count();
        (void)doc.xref_kind();
        (void)doc.signature_count();
        (void)doc.docmdp();
        (void)doc.signature_fields();
        fuzz::refusing([&] {
            for (const pdf::SignatureValue& v : doc.signatures()) {
                if (v.field_lock) {
                    (void)v.field_lock->locks(v.field_name);
                }
            }
        });
        fuzz::refusing([&] { (void)doc.dss(); });
        fuzz::refusing([&] {
            pdf::SignatureSpec spec;
            spec.field_name = "FuzzSignature";
            spec.contents_size = 64;
            const std::filesystem::path out = fuzz::scratch() / "output.pdf";
            pdf::PreparedSignature prepared = doc.prepare(spec, out);
            prepared.hash_ranges([](ByteView) {});
            prepared.embed(Bytes{0x30, 0x00});
            const pdf::Document again = pdf::Document::open(out);  // what inkan wrote must open
            if (again.signature_count() != doc.signature_count() + 1) {
                __builtin_trap();
            }
        });
    });
    return 0;
}
