// `inkan audit verify --archive FILE` (issue 26, decision 0036): service::check_audit_archive on any file —
// the CMS (cms::parse, bounded by der::Reader), the seal and time-stamp checks against a trust that
// accepts nothing, then the JSON lines of the content (header, entries, their canonical bytes and chain),
// which it reads even when the signature failed, so that a changed byte is named.
#include <inkan/service/audit_archive.h>

#include "../fuzz.h"

using namespace inkan;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView in = fuzz::bytes(data, size);
    fuzz::refusing([&] {
        const service::AuditArchiveCheck check = service::check_audit_archive(in, {}, nullptr);
        (void)check.problems.size();
    });
    return 0;
}
