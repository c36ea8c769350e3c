#pragma once

// Shared helpers of the http tests: log capture, polling, a server on 127.0.0.1:0.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <inkan/core/log.h>
#include <inkan/http/server.h>

namespace inkan::http::testing {

/// Collects every log line while it lives (and keeps them off stderr).
class LogCapture {
public:
    LogCapture()
        : m_previous{log::set_sink([this](std::string_view line) {
              const std::lock_guard lock{m_mutex};
              m_lines.emplace_back(line);
          })} {}
    ~LogCapture() { log::set_sink(std::move(m_previous)); }
    LogCapture(const LogCapture&) = delete;
    LogCapture& operator=(const LogCapture&) = delete;

    [[nodiscard]] std::vector<std::string> lines() const {
        const std::lock_guard lock{m_mutex};
        return m_lines;
    }
    /// Lines containing every one of `needles`.
    [[nodiscard]] std::vector<std::string> matching(const std::vector<std::string>& needles) const {
        std::vector<std::string> out;
        for (const auto& l : lines()) {
            bool all = true;
            for (const auto& n : needles) {
                all = all && l.find(n) != std::string::npos;
            }
            if (all) {
                out.push_back(l);
            }
        }
        return out;
    }

private:
    mutable std::mutex m_mutex;
    std::vector<std::string> m_lines;
    log::Sink m_previous;
};

/// Polls `condition` every 10 ms until it holds or `limit` passes.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds{10}) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return condition();
}

/// A started server with one listener named "api" on 127.0.0.1:0.
struct RunningServer {
    std::unique_ptr<Server> server;
    std::uint16_t port = 0;
};

inline RunningServer start_server(Router router, ServerOptions options = {},
                                  std::optional<TlsConfig> tls = std::nullopt) {
    RunningServer s;
    s.server = std::make_unique<Server>(std::move(options));
    ListenerConfig l;
    l.name = "api";
    l.host = "127.0.0.1";
    l.port = 0;
    l.tls = std::move(tls);
    l.router = std::move(router);
    s.port = s.server->add_listener(std::move(l));
    s.server->start();
    return s;
}

}  // namespace inkan::http::testing
