// Bytes as text: UTF-8 checks, base64 (RFC 4648, padded) for values that are not text.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nestcache::cli {

// Well-formed UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF).
bool is_utf8(std::string_view bytes);
// Text a terminal can show on one line: UTF-8 without control characters.
bool is_printable(std::string_view bytes);

std::string base64_encode(std::string_view bytes);
// nullopt when `text` is not padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace nestcache::cli
