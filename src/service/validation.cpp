#include <inkan/service/validation.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <system_error>

#include <inkan/core/encoding.h>
#include <inkan/core/error.h>
#include <inkan/crypto/random.h>
#include <inkan/validation/validator.h>

namespace inkan::service {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxDocuments = 100;

bool is_pdf(ByteView data) {
    // ISO 32000-1 §7.5.2: the header, which readers accept within the first 1024 bytes.
    const std::string_view head{reinterpret_cast<const char*>(data.data()),
                                std::min<std::size_t>(data.size(), 1024)};
    // A DER CMS (first octet 0x30) may envelope a PDF whose header then appears early on.
    return head.find("%PDF-") != std::string_view::npos && data[0] != 0x30;
}

/// A private directory removed with everything in it when the request is done.
class WorkDir {
public:
    explicit WorkDir(const fs::path& parent) {
        fs::create_directories(parent);
        m_path = parent / ("validate-" + hex_encode(crypto::random_bytes(8)));
        fs::create_directory(m_path);
        fs::permissions(m_path, fs::perms::owner_all, fs::perm_options::replace);
    }
    ~WorkDir() {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
    WorkDir(const WorkDir&) = delete;
    WorkDir& operator=(const WorkDir&) = delete;
    [[nodiscard]] const fs::path& path() const noexcept { return m_path; }

private:
    fs::path m_path;
};

}  // namespace

Validation::Validation(ValidationSettings settings) : m_settings{std::move(settings)} {
    ValidationTrust trust;
    trust.trust_anchors = std::move(m_settings.trust_anchors);
    trust.trust_sources = std::move(m_settings.trust_sources);
    trust.trust_configured = m_settings.trust_configured;
    m_settings.trust_anchors.clear();
    m_settings.trust_sources.clear();
    m_trust = std::make_shared<const ValidationTrust>(std::move(trust));
}

std::shared_ptr<const ValidationTrust> Validation::trust() const {
    const std::lock_guard lock{m_trust_mutex};
    return m_trust;
}

void Validation::replace_trust(ValidationTrust trust) {
    auto next = std::make_shared<const ValidationTrust>(std::move(trust));
    const std::lock_guard lock{m_trust_mutex};
    m_trust = std::move(next);
}

std::vector<validation::DocumentReport> Validation::validate(const std::vector<ValidateItem>& items,
                                                             std::optional<TimePoint> at) const {
    require(!items.empty(), Errc::InvalidRequest, "no document to validate");
    require(items.size() <= kMaxDocuments, Errc::InvalidRequest,
            "at most " + std::to_string(kMaxDocuments) + " documents per request");
    for (const auto& item : items) {
        require(item.document.size() <= m_settings.max_document_bytes, Errc::PayloadTooLarge,
                "a document is larger than " + std::to_string(m_settings.max_document_bytes) + " bytes");
    }
    const std::shared_ptr<const ValidationTrust> trust = this->trust();
    validation::Options options;
    options.trust_anchors = trust->trust_anchors;
    options.trust_configured = trust->trust_configured;
    // Staleness at the time of the request, not of startup (TS 119 612 §5.3.15; decision 0035).
    (void)validation::apply_sources(trust->trust_sources, options, std::chrono::system_clock::now());
    options.validation_time = at;
    std::vector<validation::DocumentReport> out;
    std::optional<WorkDir> work;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& item = items[i];
        validation::DocumentReport r;
        if (is_pdf(item.document)) {
            // The validator streams a PDF from a file (byte ranges, the signed revision in place).
            if (!work) work.emplace(m_settings.work_dir);
            const fs::path file = work->path() / ("document-" + std::to_string(i) + ".pdf");
            {
                std::ofstream f{file, std::ios::binary};
                f.write(reinterpret_cast<const char*>(item.document.data()),
                        static_cast<std::streamsize>(item.document.size()));
                require(f.good(), Errc::IoFailure, "cannot write the document to the work directory");
            }
            r = validation::validate_pdf(file, options);
            std::error_code ec;
            fs::remove(file, ec);
        } else if (validation::is_xml(item.document)) {
            std::vector<validation::NamedContent> contents;
            if (item.content) contents.push_back(validation::content_of_bytes("", *item.content));
            for (const auto& [uri, bytes] : item.contents)
                contents.push_back(validation::content_of_bytes(uri, bytes));
            r = validation::validate_xml(item.document, contents, options);
        } else {
            std::optional<validation::ContentDigest> content;
            if (item.content) content = validation::digest_of_bytes(*item.content);
            r = validation::validate_cms(item.document, content, options);
        }
        r.file = "document[" + std::to_string(i) + "]";
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace inkan::service
