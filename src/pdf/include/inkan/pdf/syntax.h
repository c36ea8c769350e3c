#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <inkan/core/bytes.h>
#include <inkan/core/clock.h>

namespace inkan::pdf {

/// A PDF date (ISO 32000-1 §7.9.4): "D:YYYYMMDDHHmmSSZ" when `utc_offset` is zero, otherwise
/// "D:YYYYMMDDHHmmSS+HH'mm'" with the local time at that offset (whole minutes, |offset| < 24 h).
std::string pdf_date(TimePoint t, std::chrono::minutes utc_offset = std::chrono::minutes{0});

/// A PDF text string (ISO 32000-1 §7.9.2.2) as an object token: a literal string "(...)" when
/// `utf8` is printable ASCII (which PDFDocEncoding contains unchanged), otherwise a hex string of
/// UTF-16BE with the byte order mark "<FEFF...>". Errc::InvalidEncoding for malformed UTF-8.
std::string pdf_text_string(std::string_view utf8);

/// A literal string token "(...)" for arbitrary bytes, escaping "(", ")", "\" and bytes outside
/// printable ASCII (ISO 32000-1 §7.3.4.2).
std::string pdf_literal_string(ByteView bytes);

/// A hex string token "<...>" (upper case).
std::string pdf_hex_string(ByteView bytes);

/// `utf8` as UTF-16BE code units appended to `out` (a surrogate pair above U+FFFF; no byte order
/// mark), for text strings and for fonts with /Encoding /UniJIS-UTF16-H. Errc::InvalidEncoding with
/// `error` as the detail for malformed UTF-8.
void append_utf16be(Bytes& out, std::string_view utf8, std::string_view error);

}  // namespace inkan::pdf
