#include "json_text.h"

#include <nlohmann/json.hpp>

#include "codec.h"
#include "exit_codes.h"

namespace nestcache::cli {

std::string json_quote(std::string_view text) {
  if (!is_utf8(text)) {
    throw Failure{kExitUsage, "'" + std::string(text) + "' is not UTF-8: JSON cannot carry it"};
  }
  return nlohmann::json(std::string(text)).dump();
}

std::string json_value_member(std::string_view name, std::string_view bytes) {
  if (is_utf8(bytes)) return json_quote(name) + ":" + json_quote(bytes);
  return json_quote(std::string(name) + "_base64") + ":\"" + base64_encode(bytes) + "\"";
}

}  // namespace nestcache::cli
