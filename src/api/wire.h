#pragma once

// A CSC error the api layer decides itself (it names a parameter, or the CSC prescribes the exact
// text): thrown by request parsing and the handlers, answered by the route wrapper.

#include <exception>
#include <string>
#include <utility>

#include <inkan/api/errors.h>
#include <inkan/http/message.h>

namespace inkan::api::detail {

class WireError : public std::exception {
public:
    WireError(int status, std::string error, std::string description)
        : m_status{status}, m_error{std::move(error)}, m_description{std::move(description)} {}

    [[nodiscard]] int status() const noexcept { return m_status; }
    [[nodiscard]] const std::string& error() const noexcept { return m_error; }
    [[nodiscard]] const std::string& description() const noexcept { return m_description; }
    [[nodiscard]] const char* what() const noexcept override { return m_description.c_str(); }
    [[nodiscard]] http::Response response() const { return csc_error(m_status, m_error, m_description); }
    /// The same refusal in the vendor routes' problem form.
    [[nodiscard]] http::Response problem_response() const {
        return problem(m_status, m_error, m_description);
    }

private:
    int m_status;
    std::string m_error;
    std::string m_description;
};

/// 400 invalid_request.
[[noreturn]] inline void invalid_request(std::string description) {
    throw WireError{400, "invalid_request", std::move(description)};
}

/// 401 invalid_token (with WWW-Authenticate: Bearer error="invalid_token").
[[noreturn]] inline void invalid_token(std::string description) {
    throw WireError{401, "invalid_token", std::move(description)};
}

}  // namespace inkan::api::detail
