#pragma once

// A small blocking HTTP/1.1 client for the transport tests (Beast inside, not in this header).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inkan::http::testing {

struct ClientTls {
    std::filesystem::path ca_file;    ///< trust anchors for the server certificate
    std::filesystem::path cert_file;  ///< optional client certificate (PEM) ...
    std::filesystem::path key_file;   ///< ... and its key
    int min_version = 0;              ///< TLS1_2_VERSION, TLS1_3_VERSION; 0: OpenSSL's default
    int max_version = 0;
};

struct ClientResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  ///< lower-case names
    std::string body;
    bool keep_alive = false;
    [[nodiscard]] std::string header(std::string_view name) const;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

/// One connection to 127.0.0.1:port. Every operation has a deadline; failures throw
/// std::runtime_error (the message says what failed).
class Client {
public:
    explicit Client(std::uint16_t port, std::optional<ClientTls> tls = std::nullopt,
                    std::chrono::milliseconds timeout = std::chrono::seconds{10});
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    /// TCP connect, then the TLS handshake if configured.
    void connect();
    [[nodiscard]] bool connected() const;
    /// Sends one request (connecting first if needed) and reads the response. Adds Host and, with
    /// a body, Content-Length.
    ClientResponse request(std::string_view method, std::string_view target, std::string body = {},
                           const HeaderList& headers = {});
    void send_raw(std::string_view bytes);
    ClientResponse read_response();
    /// Reads until the server closes the connection (true) or `wait` passes (false); data that
    /// arrives meanwhile is discarded.
    bool closed_by_peer(std::chrono::milliseconds wait);
    /// "TLSv1.2", "TLSv1.3"; empty for plain HTTP.
    [[nodiscard]] std::string tls_version() const;
    /// TCP connections this client has made.
    [[nodiscard]] int connects() const;
    void close();

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// One request on a new connection.
ClientResponse fetch(std::uint16_t port, std::string_view method, std::string_view target,
                     std::string body = {}, const HeaderList& headers = {},
                     std::optional<ClientTls> tls = std::nullopt);

/// True when a TCP connection to 127.0.0.1:port is refused (or reset at once).
bool connection_refused(std::uint16_t port);

}  // namespace inkan::http::testing
