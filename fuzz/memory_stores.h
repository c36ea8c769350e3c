#pragma once

// The CA store and TSA serial source of the fuzz targets' in-memory PKI (pki_env.h), in process memory.
// The storage layer's SQLite adapters would pull the service layer (and all above it) into the
// ASan/libFuzzer build of targets that fuzz pki and tsp parsers; what is fuzzed here is the parsing
// and answering, not the persistence (storage has its own suites: storage/*_suite.h).

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <inkan/core/error.h>
#include <inkan/pki/store.h>
#include <inkan/tsp/authority.h>

namespace inkan::fuzz {

class MemoryCaStore final : public pki::CaStore {
public:
    bool reserve_serial(std::string_view ca, ByteView serial) override {
        return m_reserved.insert({std::string{ca}, Bytes{serial.begin(), serial.end()}}).second;
    }
    void record_certificate(const pki::IssuedCertificate& cert) override {
        require(m_reserved.contains({cert.ca, cert.serial}), Errc::Conflict, "serial not reserved");
        require(!find(cert.ca, cert.serial), Errc::Conflict, "serial already has a certificate");
        m_issued.push_back(cert);
    }
    [[nodiscard]] std::optional<pki::IssuedCertificate> find(std::string_view ca,
                                                             ByteView serial) const override {
        for (const auto& c : m_issued) {
            if (c.ca == ca && std::equal(c.serial.begin(), c.serial.end(), serial.begin(), serial.end())) {
                return c;
            }
        }
        return std::nullopt;
    }
    [[nodiscard]] std::vector<pki::IssuedCertificate> find_serial(ByteView serial) const override {
        std::vector<pki::IssuedCertificate> out;
        for (const auto& c : m_issued) {
            if (std::equal(c.serial.begin(), c.serial.end(), serial.begin(), serial.end())) {
                out.push_back(c);
            }
        }
        return out;
    }
    [[nodiscard]] std::vector<pki::IssuedCertificate> list(std::string_view ca) const override {
        std::vector<pki::IssuedCertificate> out;
        for (const auto& c : m_issued) {
            if (c.ca == ca) {
                out.push_back(c);
            }
        }
        return out;
    }
    void revoke(std::string_view ca, ByteView serial, pki::RevocationReason reason, TimePoint when) override {
        for (auto& c : m_issued) {
            if (c.ca == ca && std::equal(c.serial.begin(), c.serial.end(), serial.begin(), serial.end())) {
                require(!c.revoked_at, Errc::Conflict, "already revoked");
                c.revoked_at = when;
                c.reason = reason;
                return;
            }
        }
        throw Error{Errc::NotFound, "unknown serial"};
    }
    [[nodiscard]] std::vector<pki::IssuedCertificate> revoked(std::string_view ca) const override {
        std::vector<pki::IssuedCertificate> out;
        for (const auto& c : list(ca)) {
            if (c.revoked_at) {
                out.push_back(c);
            }
        }
        return out;
    }
    std::uint64_t next_crl_number(std::string_view ca) override { return ++m_crl_numbers[std::string{ca}]; }

private:
    std::set<std::pair<std::string, Bytes>> m_reserved;
    std::vector<pki::IssuedCertificate> m_issued;
    std::map<std::string, std::uint64_t> m_crl_numbers;
};

class MemorySerials final : public tsp::SerialSource {
public:
    std::uint64_t reserve(std::uint64_t count) override {
        const std::uint64_t first = m_next;
        m_next += count;
        return first;
    }

private:
    std::uint64_t m_next = 1;
};

}  // namespace inkan::fuzz
