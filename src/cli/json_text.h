// Small pieces of JSON text written by hand around strings escaped by nlohmann::json, so that
// output can be streamed (no document held) and most files need not include the library.
#pragma once

#include <string>
#include <string_view>

namespace nestcache::cli {

// `text` as a JSON string literal; `text` must be UTF-8 (is_utf8), else Failure (kExitUsage).
std::string json_quote(std::string_view text);

// A value's bytes as JSON object members: `"<name>":"text"` when UTF-8, else
// `"<name>_base64":"..."` (e.g. "value" / "value_base64").
std::string json_value_member(std::string_view name, std::string_view bytes);

}  // namespace nestcache::cli
