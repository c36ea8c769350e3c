#pragma once

// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for client tests: each connection is read up to
// the end of its body and answered by a callback, one connection at a time, on a thread of its own.
// Modes for failure tests: Hang (accept and never answer) and Garbage (answer bytes that are not HTTP).
// Header-only, POSIX sockets.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace inkan::testing {

struct TinyRequest {
    std::string head;  ///< request line and header fields
    std::string body;
};
struct TinyResponse {
    int status = 200;
    std::string content_type;
    std::string body;
    std::string extra_headers{};  ///< more header lines, each ending in "\r\n" (e.g. a Location)
};

class TinyHttpServer {
public:
    enum class Mode { Answer, Hang, Garbage };
    using Handler = std::function<TinyResponse(const TinyRequest&)>;

    explicit TinyHttpServer(Handler handler, Mode mode = Mode::Answer)
        : m_handler{std::move(handler)}, m_mode{mode} {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(m_fd, 16);
        socklen_t len = sizeof addr;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len);
        m_port = ntohs(addr.sin_port);
        m_thread = std::thread{[this] { serve(); }};
    }
    ~TinyHttpServer() {
        m_stop = true;
        m_thread.join();
        for (int fd : m_held) {
            ::close(fd);
        }
        ::close(m_fd);
    }
    TinyHttpServer(const TinyHttpServer&) = delete;
    TinyHttpServer& operator=(const TinyHttpServer&) = delete;

    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; }
    [[nodiscard]] std::string url(std::string_view path = "/") const {
        return "http://127.0.0.1:" + std::to_string(m_port) + std::string{path};
    }
    [[nodiscard]] int requests() const noexcept { return m_requests.load(); }

    /// A port that nothing listens on (bound, then closed).
    static std::uint16_t closed_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        ::close(fd);
        return ntohs(addr.sin_port);
    }

private:
    void serve() {
        while (!m_stop) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) {
                continue;
            }
            const int c = ::accept(m_fd, nullptr, nullptr);
            if (c < 0) {
                continue;
            }
            ++m_requests;
            if (m_mode == Mode::Hang) {
                m_held.push_back(c);  // never answered; closed when the server goes
                continue;
            }
            TinyRequest req;
            std::string data;
            char buf[4096];
            std::size_t need = std::string::npos;
            while (true) {
                pollfd cp{c, POLLIN, 0};
                if (::poll(&cp, 1, 5000) <= 0) {
                    break;
                }
                const ssize_t n = ::read(c, buf, sizeof buf);
                if (n <= 0) {
                    break;
                }
                data.append(buf, static_cast<std::size_t>(n));
                const std::size_t end = data.find("\r\n\r\n");
                if (end != std::string::npos && need == std::string::npos) {
                    req.head = data.substr(0, end);
                    std::size_t length = 0;
                    for (const char* name : {"Content-Length: ", "content-length: "}) {
                        const std::size_t at = req.head.find(name);
                        if (at != std::string::npos) {
                            length = std::stoul(req.head.substr(at + 16));
                        }
                    }
                    need = end + 4 + length;
                }
                if (need != std::string::npos && data.size() >= need) {
                    req.body = data.substr(req.head.size() + 4);
                    break;
                }
            }
            std::string out;
            if (m_mode == Mode::Garbage) {
                out = "this is not HTTP at all\r\n\r\n";
            } else {
                const TinyResponse r = m_handler(req);
                out = "HTTP/1.1 " + std::to_string(r.status) + " X\r\nContent-Type: " + r.content_type +
                      "\r\n" + r.extra_headers + "Content-Length: " + std::to_string(r.body.size()) +
                      "\r\nConnection: close\r\n\r\n" + r.body;
            }
            std::size_t off = 0;
            while (off < out.size()) {
                const ssize_t n = ::write(c, out.data() + off, out.size() - off);
                if (n <= 0) {
                    break;
                }
                off += static_cast<std::size_t>(n);
            }
            ::shutdown(c, SHUT_WR);
            ::close(c);
        }
    }

    Handler m_handler;
    Mode m_mode;
    int m_fd = -1;
    std::uint16_t m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_requests{0};
    std::vector<int> m_held;
    std::thread m_thread;
};

}  // namespace inkan::testing
