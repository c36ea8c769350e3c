// `inkan verify --csv/--json-report` (issue 17, decision 0029): a fixed pool of --jobs worker threads
// takes files one at a time; the main thread writes each file's rows as soon as every file before it is
// written (input order, so --jobs never changes the output). Memory is bounded by --jobs: a worker holds
// one file's validation (a PDF is streamed; a CMS or XML is read whole, up to the validator's limits),
// and at most 4 × jobs finished files wait for an earlier slow one. The CSV is written to OUT.tmp, a
// whole file's rows at a time, and renamed to OUT at the end — also after Ctrl-C, when it holds the rows
// of the files done so far.

#include "verify_batch.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include <inkan/core/error.h>
#include <inkan/net/url_guard.h>
#include <inkan/pki/revocation.h>
#include <inkan/validation/batch.h>

#include "args.h"

namespace inkan::app {

namespace fs = std::filesystem;

namespace {

// Set by the SIGINT handler, read by the main loop: lock-free, so safe in a handler (C++17 [support.signal]).
std::atomic<int> g_interrupted{0};
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_sigint(int) {
    g_interrupted.store(1);
    // A second Ctrl-C ends the process at once (default action); the rows written so far are whole.
    std::signal(SIGINT, SIG_DFL);
}

/// SIGINT → g_interrupted while it lives; the previous handler afterwards.
class InterruptScope {
public:
    InterruptScope() {
        g_interrupted.store(0);
        struct sigaction sa {};
        sa.sa_handler = on_sigint;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &m_previous);
    }
    ~InterruptScope() { sigaction(SIGINT, &m_previous, nullptr); }
    InterruptScope(const InterruptScope&) = delete;
    InterruptScope& operator=(const InterruptScope&) = delete;

private:
    struct sigaction m_previous {};
};

/// The files to validate, in the order given; a directory's regular files sorted by path (directory
/// order is the file system's, not deterministic).
std::vector<std::string> expand(const std::vector<std::string>& inputs, std::istream& in) {
    std::vector<std::string> out;
    const auto add = [&](const std::string& name) {
        std::error_code ec;
        if (!fs::is_directory(name, ec)) {
            out.push_back(name);  // a file that cannot be read becomes its own row
            return;
        }
        std::vector<std::string> found;
        fs::recursive_directory_iterator it{name, ec};
        if (ec) {
            out.push_back(name);
            return;
        }
        for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
            if (ec) break;
            std::error_code fe;
            // Regular files (links to them too); a dangling link is a file that cannot be read: a row.
            const bool dangling = it->is_symlink(fe) && !fs::exists(it->path(), fe);
            if (it->is_regular_file(fe) || dangling) found.push_back(it->path().string());
        }
        std::sort(found.begin(), found.end());
        out.insert(out.end(), found.begin(), found.end());
    };
    for (const auto& input : inputs) {
        if (input != "-") {
            add(input);
            continue;
        }
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) add(line);
        }
    }
    return out;
}

struct Outcome {
    validation::BatchDocument document;
    bool unreadable = false;
};

/// A file written under a temporary name beside OUT and moved to OUT by commit(); "-" is standard
/// output. Not committed (an error): the temporary file is removed, OUT never holds part of a batch.
class Output {
public:
    Output(const std::optional<std::string>& target, std::ostream& stdout_stream, Overwrite overwrite)
        : m_overwrite{overwrite} {
        if (!target) return;
        if (*target == "-") {
            m_out = &stdout_stream;
            return;
        }
        m_final = *target;
        m_tmp = temp_output_path(*target).string();
        m_file.open(m_tmp, std::ios::binary | std::ios::trunc);
        if (!m_file.good()) throw InputError{"cannot write " + m_tmp};
        m_out = &m_file;
    }
    [[nodiscard]] bool active() const noexcept { return m_out != nullptr; }
    void write(std::string_view text) {
        if (m_out == nullptr) return;
        m_out->write(text.data(), static_cast<std::streamsize>(text.size()));
        m_out->flush();  // whole rows reach the file: a killed batch leaves complete records
        if (!m_out->good()) throw Error{Errc::IoFailure, "cannot write " + (m_tmp.empty() ? "-" : m_tmp)};
    }
    void commit() {
        if (m_final.empty() || m_committed) return;
        m_file.close();
        m_committed = true;
        install_output(m_tmp, m_final, m_overwrite);
    }
    Output(const Output&) = delete;
    Output& operator=(const Output&) = delete;
    ~Output() {
        if (!m_final.empty() && !m_committed) {
            m_file.close();
            std::error_code ignored;
            fs::remove(m_tmp, ignored);
        }
    }

private:
    Overwrite m_overwrite;
    bool m_committed = false;
    std::ostream* m_out = nullptr;
    std::ofstream m_file;
    std::string m_tmp, m_final;
};

std::string duration_text(double seconds) {
    const auto s = static_cast<long>(seconds + 0.5);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
    return buf;
}

}  // namespace

int run_verify_batch(const BatchRequest& request, const validation::Options& options,
                     const std::optional<validation::ContentDigest>& content,
                     const std::vector<validation::NamedContent>& named, pki::RevocationFetcher* fetcher,
                     Io io) {
    const InterruptScope interrupt_scope;  // Ctrl-C: stop taking files, keep the rows done
    const std::vector<std::string> files = expand(request.inputs, io.in);
    const validation::CsvStyle style = request.excel ? validation::kCsvExcel : validation::kCsvPlain;
    Output csv{request.csv, io.out, request.overwrite};
    Output json{request.json_report, io.out, request.overwrite};
    csv.write(validation::csv_header(style));
    if (files.empty()) {
        json.write(validation::to_json({}));
        csv.commit();
        json.commit();
        io.err << "inkan: no file to verify\n";
        return 2;
    }

    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    const std::size_t jobs = std::min<std::size_t>(request.jobs == 0 ? cores : request.jobs, files.size());
    const std::size_t window = 4 * jobs;  // finished files waiting for an earlier one, at most
    validation::prepare_for_threads();

    std::mutex mutex;
    std::condition_variable work_cv, done_cv;
    std::size_t next_take = 0, next_write = 0;
    bool stop = false;
    std::map<std::size_t, Outcome> finished;

    const auto validate_one = [&](const std::string& file, validation::Options& opts) {
        Outcome o;
        o.document.validation_time = options.validation_time.value_or(std::chrono::system_clock::now());
        opts.validation_time = o.document.validation_time;  // the time the row names is the one judged at
        auto& r = o.document.report;
        bool read = false;
        try {
            std::error_code ec;
            if (fs::is_directory(file, ec)) {
                throw Error{Errc::NotFound, "a directory that cannot be listed"};
            }
            std::ifstream probe{file, std::ios::binary};
            if (!probe.good()) throw Error{Errc::NotFound, "cannot read the file"};
            probe.close();
            o.document.sha256 = validation::sha256_hex_of_file(file);
            read = true;
            std::optional<net::ScopedFetchBudget> budget;
            if (fetcher != nullptr) budget.emplace(fetcher->budget());
            r = validation::validate_file(file, content, opts, named);
        } catch (const std::exception& e) {
            // validate_file reports bad input in the report; what lands here is a file that cannot be
            // read, or a failure of the run itself — the batch goes on either way.
            r = {};
            const auto* error = dynamic_cast<const Error*>(&e);
            const std::string why = error != nullptr ? error->detail() : std::string{e.what()};
            r.error = (read ? "cannot validate: " : "cannot read: ") + why;
            o.unreadable = !read;
        }
        r.file = file;
        return o;
    };

    std::vector<std::thread> workers;
    // Stops and joins the pool on every way out (an exception while writing included).
    const auto stop_workers = [&] {
        {
            const std::lock_guard lock{mutex};
            stop = true;
        }
        work_cv.notify_all();
        for (auto& t : workers) {
            if (t.joinable()) t.join();  // each finishes the one file it holds
        }
    };
    struct Joiner {
        const decltype(stop_workers)& run;
        ~Joiner() { run(); }
    } joiner{stop_workers};
    workers.reserve(jobs);
    for (std::size_t w = 0; w < jobs; ++w) {
        workers.emplace_back([&] {
            validation::Options opts = options;  // per worker: its own validation time
            for (;;) {
                std::size_t i = 0;
                {
                    std::unique_lock lock{mutex};
                    work_cv.wait(lock, [&] {
                        return stop || next_take >= files.size() || next_take < next_write + window;
                    });
                    if (stop || next_take >= files.size()) return;
                    i = next_take++;
                }
                Outcome o = validate_one(files[i], opts);
                {
                    const std::lock_guard lock{mutex};
                    finished.emplace(i, std::move(o));
                }
                done_cv.notify_one();
            }
        });
    }

    const bool progress = &io.err == &std::cerr && ::isatty(STDERR_FILENO) == 1;
    const auto started = std::chrono::steady_clock::now();
    auto last_progress = started;
    validation::BatchSummary summary;
    bool unreadable = false, all_passed = true, interrupted = false;
    bool first_json = true;
    // The main thread's writing of one file's rows (in input order).
    const auto write_document = [&](const validation::BatchDocument& doc, bool doc_unreadable) {
        csv.write(validation::csv_rows(doc, style));
        if (json.active()) {
            json.write((first_json ? std::string{validation::json_documents_begin()} : std::string{",\n"}) +
                       validation::json_document(doc.report));
            first_json = false;
        }
        summary.add(doc.report);
        unreadable = unreadable || doc_unreadable;
        all_passed = all_passed && doc.report.all_passed();
        const std::lock_guard lock{mutex};
        ++next_write;
    };
    while (next_write < files.size()) {
        std::optional<Outcome> ready;
        {
            std::unique_lock lock{mutex};
            done_cv.wait_for(lock, std::chrono::milliseconds{200},
                             [&] { return finished.count(next_write) != 0 || g_interrupted.load() != 0; });
            if (g_interrupted.load() != 0 && !interrupted) {
                stop = true;  // no new file is taken; the ones done in order are still written
                interrupted = true;
                work_cv.notify_all();
            }
            if (auto it = finished.find(next_write); it != finished.end()) {
                ready = std::move(it->second);
                finished.erase(it);
            }
        }
        if (!ready && interrupted) break;
        if (ready) {
            write_document(ready->document, ready->unreadable);
            work_cv.notify_all();
        }
        const auto now = std::chrono::steady_clock::now();
        if (progress &&
            (now - last_progress > std::chrono::milliseconds{500} || next_write == files.size())) {
            last_progress = now;
            const double elapsed = std::chrono::duration<double>(now - started).count();
            const double rate = elapsed > 0 ? static_cast<double>(next_write) / elapsed : 0;
            const double eta = rate > 0 ? static_cast<double>(files.size() - next_write) / rate : 0;
            char line[160];
            std::snprintf(line, sizeof line, "\r%zu/%zu files, %.1f files/s, ETA %s\x1b[K", next_write,
                          files.size(), rate, duration_text(eta).c_str());
            io.err << line << std::flush;
        }
    }
    stop_workers();
    // After an interruption, the files the workers were holding may close the gap: write what is now
    // contiguous, so that the CSV is the longest prefix of the input that was validated.
    for (auto it = finished.find(next_write); it != finished.end(); it = finished.find(next_write)) {
        write_document(it->second.document, it->second.unreadable);
        finished.erase(it);
    }
    if (progress) io.err << "\r\x1b[K";
    json.write(first_json ? validation::to_json({}) : std::string{validation::json_documents_end()});
    csv.commit();
    json.commit();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (interrupted) {
        io.err << "inkan: interrupted: " << next_write << " of " << files.size()
               << " files written, in input order\n";
        io.err << "inkan: " << summary.text() << "\n";
        return 130;
    }
    char rate[64];
    std::snprintf(rate, sizeof rate, " in %.1f s", elapsed);
    io.err << "inkan: " << summary.text() << rate << "\n";
    if (options.trust_anchors.empty()) {
        io.err << "inkan: no --trust-anchor given: no chain can be trusted (INDETERMINATE)\n";
    }
    if (unreadable) return 2;
    return all_passed ? 0 : 1;
}

}  // namespace inkan::app
