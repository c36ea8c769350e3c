#pragma once

// `inkan verify --csv OUT.csv | --json-report OUT.json [--excel] [--jobs N] FILE|DIR|-...` (issue 17,
// decision 0029): many files on a fixed pool of worker threads, the CSV/JSON written in input order.

#include <optional>
#include <string>
#include <vector>

#include <inkan/validation/validator.h>

#include "commands.h"
#include "context.h"

namespace inkan::pki {
class RevocationFetcher;
}

namespace inkan::app {

struct BatchRequest {
    std::vector<std::string> inputs;          ///< files, directories (recursive), "-" (names on stdin)
    std::optional<std::string> csv;           ///< "-": standard output
    std::optional<std::string> json_report;   ///< the to_json report of the whole batch
    Overwrite overwrite = Overwrite::Refuse;  ///< --force: replace an existing --csv/--json-report file
    bool excel = false;                       ///< BOM and CRLF
    unsigned jobs = 0;                        ///< 0: every core
};

/// Validates every file of `request` with `options` (plus --content as `content`/`named`; `fetcher`,
/// when online, gives each file its own budget). Exit status: 0 all passed, 1 any not (or not parsable,
/// or without signature), 2 when a named input cannot be read, 130 after SIGINT (the CSV then holds the
/// complete rows of the files done, in input order, up to the first not yet done).
int run_verify_batch(const BatchRequest& request, const validation::Options& options,
                     const std::optional<validation::ContentDigest>& content,
                     const std::vector<validation::NamedContent>& named, pki::RevocationFetcher* fetcher,
                     Io io);

}  // namespace inkan::app
