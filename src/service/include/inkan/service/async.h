#pragma once

// Asynchronous operations (CSC v2 operationMode "A", decision 0033). A signHash or signDoc call checks and
// spends its SAD on the request, then hands the rest of the work to one of a few worker threads here and
// answers with a responseID at once. The state lives in the store (service::AsyncStore), so any node that
// shares the database answers signatures/signPolling; the answer is the one the synchronous call would
// have given (HTTP status and body, made by the api layer), kept for validity_period. On completion the
// optional response_uri is notified through net::UrlGuard (the same SSRF rules as the fetches of URLs
// found in documents, decision 0016); a failed notification is logged and changes nothing.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <inkan/core/clock.h>
#include <inkan/net/url_guard.h>
#include <inkan/service/model.h>
#include <inkan/service/ports.h>

namespace inkan::service {

struct AsyncSettings {
    /// validity_period when the request names none, and its upper bound (CSC v2: "the RSSP publishes
    /// default and maximum"; info asynchronousOperationMode plus these in docs and info).
    std::chrono::milliseconds default_validity{std::chrono::minutes{10}};
    std::chrono::milliseconds max_validity{std::chrono::hours{1}};
    std::chrono::milliseconds min_validity{std::chrono::seconds{1}};
    std::size_t workers = 2;       ///< threads running the jobs (each may hold an HSM session)
    std::size_t max_pending = 64;  ///< queued, not yet running jobs; more is 503 before the SAD is spent
    /// response_uri: only what this guard lets through (strict by default: public addresses only).
    net::UrlGuard notify_guard;
    std::chrono::milliseconds notify_timeout{std::chrono::seconds{10}};
};

/// What a finished operation answers to signPolling: the synchronous call's HTTP status and JSON body.
struct AsyncAnswer {
    int http_status = 200;
    std::string body;
};

class AsyncOperations {
public:
    AsyncOperations(AsyncStore& store, const Clock& clock, AsyncSettings settings);
    /// Stops taking work, runs what is queued to its end (each job's SAD is already spent: dropping it
    /// would lose a signature the client was promised), joins the workers.
    ~AsyncOperations();
    AsyncOperations(const AsyncOperations&) = delete;
    AsyncOperations& operator=(const AsyncOperations&) = delete;

    [[nodiscard]] const AsyncSettings& settings() const noexcept { return m_settings; }

    /// validity_period (ms) as the request gave it, or the default. Errc::InvalidRequest when it is out of
    /// [min, max].
    [[nodiscard]] std::chrono::milliseconds validity(std::optional<std::int64_t> requested_ms) const;
    /// response_uri: http or https, no userinfo, and a host the guard allows now. Errc::InvalidRequest
    /// otherwise (the reason goes to the log, not to the caller). Checked again when it is called.
    void check_response_uri(std::string_view uri) const;

    /// A place in the queue, taken before the SAD is spent so that a full queue refuses the request
    /// while the SAD is still good (Errc::Unavailable). Released if never submitted.
    class Slot {
    public:
        Slot(Slot&& other) noexcept;
        Slot& operator=(Slot&&) = delete;
        Slot(const Slot&) = delete;
        Slot& operator=(const Slot&) = delete;
        ~Slot();

    private:
        friend class AsyncOperations;
        explicit Slot(AsyncOperations* owner) : m_owner{owner} {}
        AsyncOperations* m_owner;
    };
    [[nodiscard]] Slot reserve();

    /// Records a pending operation of `caller` (in the store, before the job can run) and queues `work`.
    /// Returns the responseID (≥128 random bits, base64url; only its SHA-256 is stored). `work` returns
    /// the answer; an exception escaping it is stored as a 500 server_error answer.
    std::string submit(Slot slot, const Caller& caller, std::chrono::milliseconds validity,
                       std::optional<std::string> response_uri, std::function<AsyncAnswer()> work);

    /// signPolling: nothing while pending; the answer once finished. Errc::NotFound for an unknown id,
    /// an expired one and another caller's alike (a poller learns nothing about ids that are not its own).
    [[nodiscard]] std::optional<AsyncAnswer> poll(const Caller& caller, std::string_view response_id) const;

private:
    struct Job {
        Bytes id_hash;
        std::string response_id;
        std::int64_t validity_ms = 0;
        std::optional<std::string> response_uri;
        std::function<AsyncAnswer()> work;
    };
    void run_worker();
    void run_job(Job& job);
    void notify(const std::string& uri, const std::string& response_id) const;
    [[nodiscard]] std::int64_t now_ms() const;

    AsyncStore& m_store;
    const Clock& m_clock;
    AsyncSettings m_settings;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_queue;
    std::size_t m_reserved = 0;  ///< slots taken and not yet submitted or released
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

}  // namespace inkan::service
