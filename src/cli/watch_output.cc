// watch's printed forms of an event: a line for people, a JSON object for programs.
#include "watch_output.h"

#include "codec.h"
#include "json_text.h"

namespace nestcache::cli {
namespace {

std::string shown_path(const Event& event, char separator) {
  return event.path.empty() ? std::string(1, separator) : client::join_path(event.path, separator);
}

}  // namespace

std::string event_text(const Event& event, char separator) {
  std::string line = event.name + " " + std::to_string(event.revision);
  if (event.name == "FLUSH") return line;
  line += " " + shown_path(event, separator);
  if (event.name == "SET") {
    line += " = ";
    line += is_printable(event.value) ? event.value
                                      : "<" + std::to_string(event.value.size()) + " bytes>";
    if (event.flags != 0 || event.exptime != 0) {
      line += "  (flags " + std::to_string(event.flags) + ", exptime " +
              std::to_string(event.exptime) + ")";
    }
  } else if (event.name == "TOUCH") {
    line += " exptime=" + std::to_string(event.exptime);
  } else if (event.name == "GRAFT") {
    line += " exptime=" + std::to_string(event.exptime) + " (replaced at once from " +
            event.staged + ")";
  }
  return line;
}

std::string event_json(const Event& event, char separator) {
  std::string out =
      "{\"event\":\"" + event.name + "\",\"revision\":" + std::to_string(event.revision);
  if (event.name != "FLUSH") out += "," + json_value_member("path", shown_path(event, separator));
  if (event.name == "SET") {
    out += "," + json_value_member("value", event.value);
    out += ",\"flags\":" + std::to_string(event.flags);
  }
  if (event.name == "SET" || event.name == "TOUCH" || event.name == "GRAFT") {
    out += ",\"exptime\":" + std::to_string(event.exptime);
  }
  if (event.name == "GRAFT") out += "," + json_value_member("staged", event.staged);
  return out + "}";
}

}  // namespace nestcache::cli
