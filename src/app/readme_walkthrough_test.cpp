// The README's examples run as written, in order (issue 25): the quick start's block against a data
// directory made the way `make run` makes it, then every shell block of the walk-through from "A session
// with the development PKI" to the end of the command-line part, in one directory, each command through
// sh as a user pastes it. Every command must succeed (exit 0; a curl answer must not be a JSON error), so
// a README that names a file the session has not made, reuses an output name, leaves out --cacert or
// passes an option the CLI does not take fails here, and so does the product behind it: the
// walk-through's openssl and `inkan verify` lines are its judges.
//
// What the test supplies, as a user would: three PDFs of one's own (doc.pdf, in.pdf, contract.pdf); the
// `inkan serve ... &` line runs as a background process the test stops at the end; and a fresh one-time
// code for each signature, as the README asks ("again before each signature"): a user waits for the next
// code, the test instead widens `[authorization] totp_window` of the walk-through's inkan.toml to 10 steps
// and hands each `inkan sign` the next unused step's code (each step is accepted once, in increasing
// order: decision 0027).
//
// Left out: the trusted-list block (it fetches the European Commission's list of trusted lists and needs
// the Official Journal's signer certificates; tl_cli_test runs the same commands on generated lists) and
// the developer blocks after the command-line part (building by hand, fuzzing), which make test itself is.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/core/clock.h>
#include <inkan/core/encoding.h>
#include <inkan/service/secrets.h>
#include <inkan/testing/pdf_text.h>
#include <inkan/testing/process.h>

#include "e2e_support.h"

namespace fs = std::filesystem;
using inkan::testing::describe;
using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

struct Command {
    int line = 0;  ///< README.md line where the command starts
    std::string text;
};

struct Block {
    int line = 0;  ///< README.md line of the ```sh fence
    std::vector<Command> commands;
};

/// Every ```sh block of README.md with its commands: comment-only and blank lines dropped, continuation
/// lines joined (as sh reads them).
std::vector<Block> readme_blocks(std::vector<std::string>& paragraph_before) {
    std::ifstream in{INKAN_SOURCE_DIR "/README.md"};
    std::vector<Block> out;
    std::string line;
    std::string last_text;  // the last paragraph of prose before a block
    bool last_blank = true;
    bool in_sh = false;
    bool in_other = false;
    std::string pending;
    int pending_line = 0;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.rfind("```", 0) == 0) {
            if (in_sh || in_other) {
                in_sh = in_other = false;
            } else if (line == "```sh") {
                in_sh = true;
                out.push_back(Block{n, {}});
                paragraph_before.push_back(last_text);
            } else {
                in_other = true;
            }
            continue;
        }
        if (!in_sh) {
            if (!in_other && !line.empty()) {
                // The paragraph right before a block: its lines since the last blank one.
                last_text = last_blank ? line : last_text + " " + line;
            }
            last_blank = line.empty();
            continue;
        }
        if (pending.empty()) {
            const auto first = line.find_first_not_of(" \t");
            if (first == std::string::npos || line[first] == '#') {
                continue;
            }
            pending_line = n;
        }
        const bool continued = !line.empty() && line.back() == '\\';
        pending += continued ? line.substr(0, line.size() - 1) : line;
        if (!continued) {
            out.back().commands.push_back(Command{pending_line, pending});
            pending.clear();
        }
    }
    return out;
}

bool starts_with(const std::string& s, std::string_view prefix) {
    return s.rfind(prefix, 0) == 0;
}

/// A CSC / OAuth error answer ({"error": "invalid_request", ...}); a validation report's per-document
/// `"error": null` is not one.
bool is_error_body(const std::string& out) {
    const auto j = json::parse(out, nullptr, false);
    return !j.is_discarded() && j.is_object() && j.contains("error") && j["error"].is_string();
}

/// A shell walk-through: one directory, the assignments made so far (replayed before every command, as
/// an interactive shell keeps them), and the server its `inkan serve ... &` line started.
class Walk {
public:
    explicit Walk(fs::path dir) : m_dir{std::move(dir)} {
        const char* p = std::getenv("PATH");
        m_path = fs::path{INKAN_BIN}.parent_path().string() + ":" + (p != nullptr ? p : "");
    }
    ~Walk() { stop_server(); }
    Walk(const Walk&) = delete;
    Walk& operator=(const Walk&) = delete;

    /// Runs one README command; returns a failure text, empty when it did what the README says.
    std::string step(const Command& c) {
        static const std::regex assignment{R"(^(export\s+)?[A-Za-z_][A-Za-z0-9_]*=)"};
        const std::string where = "README.md:" + std::to_string(c.line) + ": " + c.text;
        if (starts_with(c.text, "inkan serve")) {
            return start_server(c, where);
        }
        if (std::regex_search(c.text, assignment)) {
            if (c.text.find("INKAN_OTP=") != std::string::npos) {
                // The README's own line runs (oathtool must be there and print a code); the test then
                // hands out one code per signature itself (see the top of this file).
                const auto r = sh(c.text + "\nprintf %s \"$INKAN_OTP\"");
                if (r.exit_code != 0 || !std::regex_match(r.out, std::regex{"[0-9]{6}"})) {
                    return where + "\n    -> no six-digit code: " + describe(r);
                }
                m_otp_enabled = true;
                return {};
            }
            const auto r = sh(c.text + "\n" + print_assigned(c.text));
            if (r.exit_code != 0) {
                return where + "\n    -> " + describe(r);
            }
            // A pipeline's status is its last command's: `curl ... | jq -r .x` is 0 even when the
            // request failed, so the value itself is checked (not printed: it may be a password).
            if (r.out.empty() || r.out.find("null") != std::string::npos) {
                return where + "\n    -> a variable was left empty or null\n    stderr: " + r.err;
            }
            m_prelude += c.text + "\n";
            return {};
        }
        if (starts_with(c.text, "inkan sign ") && m_otp_enabled) {
            next_otp();
        }
        const auto r = sh(c.text);
        if (r.exit_code != 0) {
            return where + "\n    -> " + describe(r);
        }
        if (starts_with(c.text, "curl ") && (r.out.empty() || is_error_body(r.out))) {
            return where + "\n    -> the service answered with an error or nothing: " + describe(r);
        }
        return {};
    }

    /// Stops the server the walk-through started; its exit status (0 when none was running).
    int stop_server() {
        if (!m_server) {
            return 0;
        }
        const int status = m_server->terminate();
        m_server_log = m_server->stderr_text();
        m_server.reset();
        return status;
    }
    [[nodiscard]] const std::string& server_log() const { return m_server_log; }
    [[nodiscard]] std::string server_stderr() const {
        return m_server ? m_server->stderr_text() : m_server_log;
    }
    [[nodiscard]] const fs::path& dir() const { return m_dir; }

private:
    /// `printf` of every variable an assignment line sets, so that the test sees their values.
    static std::string print_assigned(const std::string& text) {
        static const std::regex name{R"((?:^|\s)(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=)"};
        std::string out;
        for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator{};
             ++it) {
            out += "printf '%s\\n' \"${" + (*it)[1].str() + ":-}\" | grep -q . || exit 3\nprintf %s \"$" +
                   (*it)[1].str() + "\"\n";
        }
        return out;
    }

    inkan::testing::CommandResult sh(const std::string& command) const {
        std::string script = "cd '" + m_dir.string() + "' || exit 97\n" + m_prelude;
        if (!m_otp.empty()) {
            script += "export INKAN_OTP=" + m_otp + "\n";
        }
        script += command;
        // Factors only from the README's own lines: none inherited from whoever runs the test.
        return run({"env", "-u", "INKAN_PASSWORD", "-u", "INKAN_PIN", "-u", "INKAN_OTP", "-u", "INKAN_DATA",
                    "PATH=" + m_path, "timeout", "300", "sh", "-c", script});
    }

    std::string start_server(const Command& c, const std::string& where) {
        if (m_server) {
            return where + "\n    -> a second server while one is running";
        }
        std::string command = c.text.substr(0, c.text.find('#'));
        const auto amp = command.rfind('&');
        if (amp != std::string::npos) {
            command.resize(amp);
        }
        const std::regex data{R"(--data\s+(\S+))"};
        std::smatch m;
        if (std::regex_search(command, m, data)) {
            widen_totp_window(m_dir / m[1].str());
        }
        m_server = std::make_unique<inkan::testing::Process>(
            std::vector<std::string>{"sh", "-c", "cd '" + m_dir.string() + "' && exec " + command},
            std::vector<std::string>{"PATH=" + m_path});
        try {
            const auto line = m_server->read_line(std::chrono::seconds{90});
            const auto urls = json::parse(line);
            // The README's URLs are the default ports; a server elsewhere would make every later
            // command fail for a reason that is not the README's.
            if (urls.value("api_url", "") != "https://127.0.0.1:8443") {
                return where + "\n    -> the server is not on the default API port: " + line;
            }
        } catch (const std::exception& e) {
            return where + "\n    -> the server did not start: " + e.what() + "\n" + m_server->stderr_text();
        }
        return {};
    }

    /// The walk-through's one change to a data directory (see the top of this file).
    void widen_totp_window(const fs::path& data) {
        const fs::path toml = data / "inkan.toml";
        std::ifstream in{toml};
        const std::string text{std::istreambuf_iterator<char>{in}, {}};
        ASSERT_EQ(text.find("[authorization]"), std::string::npos)
            << "inkan.toml already has [authorization]";
        std::ofstream{toml, std::ios::app} << "\n[authorization]\ntotp_window = 10\n";
        std::ifstream demo{data / "demo.json"};
        m_totp_seed = inkan::base32_decode(json::parse(demo)["totp_secret"].get<std::string>());
    }

    /// The next unused step's code: the oldest the widened window accepts, later than the last one given.
    void next_otp() {
        using namespace std::chrono;
        const auto now = inkan::SystemClock::instance().now();
        const std::int64_t current = duration_cast<seconds>(now.time_since_epoch()).count() / 30;
        m_step = std::max(m_step + 1, current - 9);
        m_otp = inkan::service::totp_code(m_totp_seed, inkan::TimePoint{seconds{m_step * 30}});
    }

    fs::path m_dir;
    std::string m_path;
    std::string m_prelude;
    std::unique_ptr<inkan::testing::Process> m_server;
    std::string m_server_log;
    bool m_otp_enabled = false;
    inkan::Bytes m_totp_seed;
    std::int64_t m_step = 0;
    std::string m_otp;
};

/// A one-page PDF with a line of text: a stand-in for the user's own documents.
void write_pdf(const fs::path& p, const std::string& text) {
    const std::string content = "BT /F1 24 Tf 72 720 Td (" + text + ") Tj ET";
    inkan::testing::write_file(
        p, inkan::testing::build_pdf(
               {"<< /Type /Catalog /Pages 2 0 R >>", "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font "
                "<< /F1 5 0 R >> >> >>",
                "<< /Length " + std::to_string(content.size()) + " >>\nstream\n" + content + "\nendstream",
                "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"}));
}

}  // namespace

TEST(ReadmeWalkthrough, EveryExampleRunsAsWrittenInOrder) {
    std::vector<std::string> before;
    const auto blocks = readme_blocks(before);
    std::vector<const Block*> quick_start;
    std::vector<const Block*> session;
    bool in_session = false;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
        const auto& b = blocks[i];
        const bool uses_make_run_data = std::any_of(
            b.commands.begin(), b.commands.end(),
            [](const Command& c) { return c.text.find("inkan-data/demo.json") != std::string::npos; });
        if (uses_make_run_data) {
            quick_start.push_back(&b);
            continue;
        }
        if (before[i].find("A session with the development PKI") != std::string::npos) {
            in_session = true;
        }
        if (!in_session) {
            continue;
        }
        if (!b.commands.empty() && starts_with(b.commands.front().text, "scripts/install-deps")) {
            break;  // "Building and testing by hand": the developer's part
        }
        const bool trusted_lists = std::any_of(b.commands.begin(), b.commands.end(), [](const Command& c) {
            return starts_with(c.text, "inkan tl ");
        });
        if (!trusted_lists) {
            session.push_back(&b);
        }
    }
    // Fewer blocks found means the extraction broke, not that all is well.
    ASSERT_EQ(quick_start.size(), 1u) << "the quick start's block";
    ASSERT_GE(session.size(), 10u) << "the walk-through's blocks";

    TempDir tmp{"inkan-readme-walk"};
    std::vector<std::string> failures;

    // The quick start: `make run` is `inkan init --data inkan-data` and `inkan serve --data inkan-data`.
    {
        const fs::path dir = tmp / "quick";
        fs::create_directories(dir);
        Walk walk{dir};
        for (const Command& c :
             {Command{0, "inkan init --data inkan-data"}, Command{0, "inkan serve --data inkan-data"}}) {
            if (auto f = walk.step(c); !f.empty()) {
                FAIL() << "make run's commands: " << f;
            }
        }
        for (const auto& c : quick_start.front()->commands) {
            if (auto f = walk.step(c); !f.empty()) {
                failures.push_back(f);
            }
        }
        EXPECT_EQ(walk.stop_server(), 0) << walk.server_log();
    }

    const fs::path dir = tmp / "session";
    fs::create_directories(dir);
    write_pdf(dir / "doc.pdf", "A document to time-stamp");
    write_pdf(dir / "in.pdf", "A contract to sign");
    write_pdf(dir / "contract.pdf", "A contract signed with a detached XAdES");
    Walk walk{dir};
    int commands = 0;
    for (const Block* b : session) {
        for (const auto& c : b->commands) {
            ++commands;
            if (auto f = walk.step(c); !f.empty()) {
                failures.push_back(f);
                // A step that failed leaves its outputs missing; the next ones would only repeat it.
                break;
            }
        }
        if (!failures.empty()) {
            break;
        }
    }
    const std::string server_log = walk.server_stderr();
    EXPECT_EQ(walk.stop_server(), 0) << walk.server_log();
    std::string all;
    for (const auto& f : failures) {
        all += f + "\n";
    }
    EXPECT_TRUE(failures.empty()) << "the README's examples, run in order (" << commands
                                  << " commands of the walk-through reached):\n"
                                  << all << "server stderr (tail):\n"
                                  << server_log.substr(server_log.size() > 4000 ? server_log.size() - 4000
                                                                                : 0);
    // The walk-through signed, extended and verified: its outputs are there.
    for (const char* out : {"signed.pdf", "signed-lta.pdf", "data-lta.p7s", "enveloping-lta.p7s",
                            "invoice-lta.xml", "contract-lta.xades.xml", "signed-visible.pdf",
                            "signed-vertical.pdf", "report.csv", "audit.csv", "doc-inkan.tsr"}) {
        EXPECT_TRUE(fs::exists(dir / out)) << out << " was not written";
    }
}
