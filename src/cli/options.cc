#include "options.h"

#include <charconv>
#include <set>

#include "exit_codes.h"

namespace nestcache::cli {
namespace {

// Command flags that take a value; the others are switches.
const std::set<std::string> kValueFlags = {"ttl",   "flags", "to",    "from",    "interval",
                                           "count", "width", "depth", "pipeline"};

int64_t number(const std::string& text, const std::string& what) {
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    throw Failure{kExitUsage, what + ": not a number: '" + text + "'"};
  }
  return value;
}

}  // namespace

Options parse_options(const std::vector<std::string>& argv) {
  Options o;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    auto value = [&](const std::string& name) -> std::string {
      if (i + 1 >= argv.size()) throw Failure{kExitUsage, name + " needs a value"};
      return argv[++i];
    };
    if (arg == "--") {
      o.saw_dashes = true;
      o.after_dashes.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
      break;
    }
    if (arg == "--help") {
      o.help = true;
    } else if (arg == "-h" || arg == "--host") {
      o.host = value(arg);
    } else if (arg == "-p" || arg == "--port") {
      const int64_t port = number(value(arg), arg);
      if (port < 1 || port > 65535) throw Failure{kExitUsage, "-p: port out of range"};
      o.port = static_cast<uint16_t>(port);
    } else if (arg == "-t" || arg == "--timeout") {
      const int64_t seconds = number(value(arg), arg);
      if (seconds < 1) throw Failure{kExitUsage, "--timeout: at least 1 second"};
      o.timeout = std::chrono::seconds(seconds);
    } else if (arg == "-d" || arg == "--delimiter") {
      const std::string d = value(arg);
      if (d.size() != 1 || d[0] == ' ') {
        throw Failure{kExitUsage, "-d: one character (not a space)"};
      }
      o.separator = d[0];
    } else if (arg == "-o" || arg == "--output") {
      const std::string f = value(arg);
      if (f == "json") {
        o.format = Format::json;
      } else if (f == "text") {
        o.format = Format::text;
      } else {
        throw Failure{kExitUsage, "-o: text or json"};
      }
    } else if (arg.size() > 2 && arg.starts_with("--")) {
      const std::string name = arg.substr(2);
      o.flags[name] = kValueFlags.count(name) ? value(arg) : "";
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      throw Failure{kExitUsage, "unknown option " + arg + " (see --help)"};
    } else if (o.command.empty()) {
      o.command = arg;
    } else {
      o.args.push_back(arg);
    }
  }
  return o;
}

void check_flags(const Options& options, const std::vector<std::string>& allowed) {
  for (const auto& [name, value] : options.flags) {
    bool ok = false;
    for (const std::string& a : allowed) ok = ok || a == name;
    if (!ok) {
      throw Failure{kExitUsage, options.command + ": unknown option --" + name +
                                    " (see nestcache-cli " + options.command + " --help)"};
    }
  }
}

int64_t flag_number(const Options& options, const std::string& name, int64_t fallback) {
  const auto v = options.flag(name);
  return v ? number(*v, "--" + name) : fallback;
}

}  // namespace nestcache::cli
