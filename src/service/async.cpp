#include <inkan/service/async.h>

#include <utility>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/core/log.h>
#include <inkan/crypto/digest.h>
#include <inkan/crypto/random.h>
#include <inkan/net/client.h>

namespace inkan::service {

namespace {

constexpr std::size_t kIdBytes = 32;
/// base64url of 32 bytes is 43 characters; a longer id is not ours and is not hashed.
constexpr std::size_t kMaxIdLength = 64;

Bytes id_hash_of(std::string_view id) {
    return crypto::digest(crypto::DigestAlgorithm::Sha256, as_bytes(id));
}

/// An answer for a job that failed without making one (a bug, or storage): the CSC error body.
AsyncAnswer server_error() {
    return {500, R"({"error":"server_error","error_description":"The operation failed"})"};
}

}  // namespace

AsyncOperations::AsyncOperations(AsyncStore& store, const Clock& clock, AsyncSettings settings)
    : m_store{store}, m_clock{clock}, m_settings{std::move(settings)} {
    require(m_settings.workers >= 1 && m_settings.workers <= 64, Errc::InvalidConfig,
            "async workers must be 1..64");
    require(m_settings.min_validity.count() >= 1 && m_settings.min_validity <= m_settings.default_validity &&
                m_settings.default_validity <= m_settings.max_validity,
            Errc::InvalidConfig, "async validity_period: need min <= default <= max");
    m_threads.reserve(m_settings.workers);
    for (std::size_t i = 0; i < m_settings.workers; ++i) {
        m_threads.emplace_back([this] { run_worker(); });
    }
}

AsyncOperations::~AsyncOperations() {
    {
        const std::lock_guard lock{m_mutex};
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto& t : m_threads) {
        t.join();
    }
}

std::chrono::milliseconds AsyncOperations::validity(std::optional<std::int64_t> requested_ms) const {
    if (!requested_ms) {
        return m_settings.default_validity;
    }
    require(
        *requested_ms >= m_settings.min_validity.count() && *requested_ms <= m_settings.max_validity.count(),
        Errc::InvalidRequest, "validity_period out of bounds");
    return std::chrono::milliseconds{*requested_ms};
}

void AsyncOperations::check_response_uri(std::string_view uri) const {
    try {
        (void)m_settings.notify_guard.resolve(net::Url::parse(uri));
    } catch (const Error& e) {
        // The host and the class of the refused address stay in the log (decision 0016).
        log::info("async: response_uri refused", {{"code", errc_name(e.code())}, {"detail", e.detail()}});
        throw Error{Errc::InvalidRequest, "Invalid parameter response_uri"};
    }
}

AsyncOperations::Slot::Slot(Slot&& other) noexcept : m_owner{std::exchange(other.m_owner, nullptr)} {}

AsyncOperations::Slot::~Slot() {
    if (m_owner != nullptr) {
        const std::lock_guard lock{m_owner->m_mutex};
        --m_owner->m_reserved;
    }
}

AsyncOperations::Slot AsyncOperations::reserve() {
    const std::lock_guard lock{m_mutex};
    require(!m_stopping, Errc::Unavailable, "the service is stopping");
    require(m_queue.size() + m_reserved < m_settings.max_pending, Errc::Unavailable,
            "too many asynchronous operations are waiting");
    ++m_reserved;
    return Slot{this};
}

std::int64_t AsyncOperations::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(m_clock.now().time_since_epoch()).count();
}

std::string AsyncOperations::submit(Slot slot, const Caller& caller, std::chrono::milliseconds validity,
                                    std::optional<std::string> response_uri,
                                    std::function<AsyncAnswer()> work) {
    require(slot.m_owner == this, Errc::Internal, "async: a slot of another queue");
    Job job;
    job.response_id = base64url_encode(crypto::random_bytes(kIdBytes));
    job.id_hash = id_hash_of(job.response_id);
    job.validity_ms = validity.count();
    job.response_uri = std::move(response_uri);
    job.work = std::move(work);

    AsyncRecord record;
    record.id_hash = job.id_hash;
    record.user_id = caller.user_id;
    record.client_id = caller.client_id;
    record.created_ms = now_ms();
    // Pending: kept for validity_period from now; a node that dies mid-job leaves the row to expire
    // (its SAD spent, no signature returned: never a second one).
    record.expires_ms = record.created_ms + job.validity_ms;
    record.validity_ms = job.validity_ms;
    m_store.insert(record);

    std::string id = job.response_id;
    {
        const std::lock_guard lock{m_mutex};
        m_queue.push_back(std::move(job));
        --m_reserved;
        slot.m_owner = nullptr;
    }
    m_wake.notify_one();
    return id;
}

std::optional<AsyncAnswer> AsyncOperations::poll(const Caller& caller, std::string_view response_id) const {
    const auto unknown = [] { return Error{Errc::NotFound, "unknown responseID"}; };
    if (response_id.empty() || response_id.size() > kMaxIdLength) {
        throw unknown();
    }
    const auto record = m_store.find(id_hash_of(response_id));
    if (!record || record->user_id != caller.user_id || record->client_id != caller.client_id ||
        record->expires_ms <= now_ms()) {
        throw unknown();
    }
    if (record->status == AsyncStatus::Pending) {
        return std::nullopt;
    }
    return AsyncAnswer{record->http_status, record->body};
}

void AsyncOperations::run_worker() {
    for (;;) {
        Job job;
        {
            std::unique_lock lock{m_mutex};
            m_wake.wait(lock, [this] { return m_stopping || !m_queue.empty(); });
            if (m_queue.empty()) {
                return;  // stopping, and nothing left
            }
            job = std::move(m_queue.front());
            m_queue.pop_front();
        }
        run_job(job);
    }
}

void AsyncOperations::run_job(Job& job) {
    AsyncAnswer answer;
    try {
        answer = job.work();
    } catch (const Error& e) {
        log::error("async: an operation failed without an answer", {{"code", errc_name(e.code())}});
        answer = server_error();
    } catch (const std::exception&) {
        log::error("async: an operation failed without an answer");
        answer = server_error();
    }
    job.work = nullptr;  // the job's state (documents, work directory) goes now
    const AsyncStatus status =
        answer.http_status >= 200 && answer.http_status < 300 ? AsyncStatus::Done : AsyncStatus::Failed;
    try {
        // Kept for validity_period from completion, so a slow job's answer is not gone at once.
        if (!m_store.finish(job.id_hash, status, answer.http_status, answer.body,
                            now_ms() + job.validity_ms)) {
            log::warn("async: the operation's record was gone when it finished");
            return;
        }
    } catch (const Error& e) {
        log::error("async: cannot store an operation's answer", {{"code", errc_name(e.code())}});
        return;
    }
    if (job.response_uri) {
        notify(*job.response_uri, job.response_id);
    }
}

void AsyncOperations::notify(const std::string& uri, const std::string& response_id) const {
    // Only the responseID is sent: the client fetches the result with its own token through
    // signPolling, so a notification that goes astray carries no signature or document.
    std::string host = "?";
    try {
        const net::Url url = net::Url::parse(uri);
        host = url.authority();  // never the path or query: they may carry the client's own secrets
        net::RequestOptions options;
        options.timeout = m_settings.notify_timeout;
        options.max_response_bytes = 64 * 1024;
        options.guard = &m_settings.notify_guard;
        const std::string body = std::string{R"({"responseID":")"} + response_id + "\"}";
        const net::Response r = net::post(uri, "application/json", as_bytes(body), options);
        if (r.status < 200 || r.status >= 300) {
            log::warn("async: response_uri answered with an error", {{"host", host}, {"status", r.status}});
            return;
        }
        log::info("async: response_uri notified", {{"host", host}});
    } catch (const Error& e) {
        log::warn("async: response_uri not notified", {{"host", host}, {"code", errc_name(e.code())}});
    }
}

}  // namespace inkan::service
