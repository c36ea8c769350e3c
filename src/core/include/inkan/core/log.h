#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace inkan::log {

enum class Level { Debug, Info, Warn, Error };

/// One structured field. Deliberately no constructor from Secret: secrets cannot be logged.
struct Field {
    using Value = std::variant<std::string_view, std::int64_t, double, bool>;
    Field(std::string_view k, std::string_view v) : key{k}, value{v} {}
    Field(std::string_view k, const char* v) : key{k}, value{std::string_view{v}} {}
    Field(std::string_view k, const std::string& v) : key{k}, value{std::string_view{v}} {}
    Field(std::string_view k, std::int64_t v) : key{k}, value{v} {}
    Field(std::string_view k, int v) : key{k}, value{std::int64_t{v}} {}
    Field(std::string_view k, std::uint64_t v) : key{k}, value{static_cast<std::int64_t>(v)} {}
    Field(std::string_view k, double v) : key{k}, value{v} {}
    Field(std::string_view k, bool v) : key{k}, value{v} {}

    std::string_view key;
    Value value;
};

/// Where finished lines go (one JSON object per line, no trailing newline). Default: stderr.
using Sink = std::function<void(std::string_view line)>;

void set_level(Level level);
[[nodiscard]] Level level();
/// Parses "debug" | "info" | "warn" | "error" (Errc::InvalidConfig otherwise).
Level parse_level(std::string_view name);
/// Replaces the sink; returns the previous one (tests restore it).
Sink set_sink(Sink sink);

/// Writes {"ts":"<RFC 3339 UTC>","level":"info","msg":"...",<context fields>,<fields>}.
/// Strings are escaped per RFC 8259; UTF-8 (Japanese names) passes through unchanged and invalid
/// UTF-8 is replaced by U+FFFD. Thread-safe: lines never interleave.
void write(Level level, std::string_view msg, std::initializer_list<Field> fields = {});
inline void debug(std::string_view msg, std::initializer_list<Field> f = {}) {
    write(Level::Debug, msg, f);
}
inline void info(std::string_view msg, std::initializer_list<Field> f = {}) {
    write(Level::Info, msg, f);
}
inline void warn(std::string_view msg, std::initializer_list<Field> f = {}) {
    write(Level::Warn, msg, f);
}
inline void error(std::string_view msg, std::initializer_list<Field> f = {}) {
    write(Level::Error, msg, f);
}

/// Adds fields (e.g. request_id) to every line this thread writes while the object lives.
/// Nested scopes add to the outer ones. The strings are copied.
class ScopedContext {
public:
    ScopedContext(std::initializer_list<Field> fields);
    ~ScopedContext();
    ScopedContext(const ScopedContext&) = delete;
    ScopedContext& operator=(const ScopedContext&) = delete;

private:
    std::size_t m_previous_size;
};

/// Appends `s` to `out` as the body of a JSON string (no quotes), escaping per RFC 8259 and
/// replacing invalid UTF-8 with U+FFFD. Shared by anything that writes JSON by hand.
void append_json_escaped(std::string& out, std::string_view s);

}  // namespace inkan::log
