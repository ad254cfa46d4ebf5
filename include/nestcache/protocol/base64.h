// Base64 as memcached's meta commands use it for binary keys (the b flag): the standard
// alphabet with '=' padding and no line breaks.
#pragma once

#include <string>
#include <string_view>

namespace nestcache {

// Appends the bytes `text` encodes to `out`; false (out unchanged) when it is not base64 or
// encodes nothing. Like memcached's base64_decode, bytes outside the alphabet are skipped and
// what remains must be a whole number of 4-character groups.
bool base64_decode(std::string_view text, std::string& out);

// Appends the base64 of `bytes` to `out`.
void base64_encode(std::string_view bytes, std::string& out);

}  // namespace nestcache
