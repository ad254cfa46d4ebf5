// load: bulk `PATH VALUE` lines, or raw memcache commands, pipelined; progress on a terminal
// (plain lines otherwise); errors by line number.
#include <unistd.h>

#include <sys/stat.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.h"
#include "context.h"
#include "exit_codes.h"
#include "nestcache/client/error.h"
#include "pipeline.h"

namespace nestcache::cli {
namespace {

using Clock = std::chrono::steady_clock;

bool is_storage_verb(std::string_view verb) {
  return verb == "set" || verb == "add" || verb == "replace" || verb == "append" ||
         verb == "prepend" || verb == "cas";
}

std::string_view first_token(std::string_view line) { return line.substr(0, line.find(' ')); }

// The <bytes> field of a storage command line (from the right: [noreply], [cas], bytes).
bool data_length(std::string_view line, std::size_t& bytes) {
  std::vector<std::string_view> tokens;
  for (std::size_t at = 0; at <= line.size();) {
    const std::size_t end = std::min(line.find(' ', at), line.size());
    if (end > at) tokens.push_back(line.substr(at, end - at));
    at = end + 1;
  }
  if (!tokens.empty() && tokens.back() == "noreply") tokens.pop_back();
  if (tokens.size() < 5) return false;
  const std::string_view field = tokens[tokens.size() - (tokens[0] == "cas" ? 2 : 1)];
  bytes = 0;
  for (const char c : field) {
    if (c < '0' || c > '9' || bytes > (std::size_t{1} << 31)) return false;
    bytes = bytes * 10 + static_cast<std::size_t>(c - '0');
  }
  return !field.empty();
}

class Progress {
 public:
  explicit Progress(std::size_t total_bytes)
      : tty_(::isatty(STDERR_FILENO)), total_(total_bytes), start_(Clock::now()) {}
  void update(std::size_t lines, std::size_t bytes, bool final_line) {
    const auto now = Clock::now();
    if (!final_line && now - last_ < std::chrono::milliseconds(tty_ ? 200 : 5000)) return;
    last_ = now;
    const double secs = std::max(1e-9, std::chrono::duration<double>(now - start_).count());
    char line[200];
    if (tty_ && total_ > 0) {
      const int filled = static_cast<int>(30.0 * std::min(bytes, total_) / total_);
      std::snprintf(line, sizeof line, "\r[%-30s] %3d%% %zu lines %.0f/s",
                    std::string(static_cast<std::size_t>(filled), '#').c_str(),
                    static_cast<int>(100.0 * std::min(bytes, total_) / total_), lines,
                    lines / secs);
    } else {
      std::snprintf(line, sizeof line, "%s%zu lines %.0f/s%s", tty_ ? "\r" : "", lines,
                    lines / secs, tty_ ? "" : "\n");
    }
    std::cerr << line;
    if (final_line && tty_) std::cerr << "\n";
    std::cerr.flush();
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  bool tty_;
  std::size_t total_;
  Clock::time_point start_, last_{};
};

}  // namespace

int cmd_load(Context& c) {
  const auto& args = c.options().args;
  if (args.size() != 1) throw Failure{kExitUsage, "load: expected FILE or - (see --help)"};
  std::ifstream file;
  std::size_t total = 0;
  if (args[0] != "-") {
    file.open(args[0], std::ios::binary);
    if (!file) throw Failure{kExitUsage, "cannot read " + args[0]};
    struct stat st {};
    if (::stat(args[0].c_str(), &st) == 0) total = static_cast<std::size_t>(st.st_size);
  }
  std::istream& in = args[0] == "-" ? std::cin : file;
  const int64_t ttl = flag_number(c.options(), "ttl", 0);
  const auto flags = static_cast<uint32_t>(flag_number(c.options(), "flags", 0));
  const auto depth = static_cast<std::size_t>(flag_number(c.options(), "pipeline", 64));
  client::Client& cl = c.client();
  const client::ServerMode mode = cl.mode();

  std::size_t errors = 0, refused = 0, lines = 0, bytes = 0, sent = 0;
  auto report = [&](std::size_t line_number, const std::string& what) {
    if (++errors <= 100) c.err() << "line " << line_number << ": " << what << "\n";
  };
  Pipeline pipe(cl, depth, [&](std::size_t line_number, const client::Reply& reply) {
    if (reply.is_error() || reply.kind == client::LineKind::not_stored ||
        reply.kind == client::LineKind::exists) {
      ++refused;
      report(line_number, reply.line);
    }
  });
  Progress progress(total);
  std::string line, request, data;
  bool raw = false, decided = false;
  while (std::getline(in, line)) {
    ++lines;
    bytes += line.size() + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!decided) {
      std::size_t n = 0;
      raw = is_storage_verb(first_token(line)) && data_length(line, n);
      decided = true;
    }
    if (raw) {
      // A memcache command: storage ones with their data block, others on one line.
      const std::size_t number = lines;
      request.assign(line).append("\r\n");
      std::size_t n = 0;
      if (is_storage_verb(first_token(line))) {
        if (!data_length(line, n)) {
          report(number, "bad storage command line");
          continue;
        }
        data.resize(n + 2);
        if (!in.read(data.data(), static_cast<std::streamsize>(n + 2))) {
          report(number, "data block cut short at the end of the input");
          break;
        }
        lines += static_cast<std::size_t>(std::count(data.begin(), data.end(), '\n'));
        bytes += n + 2;
        request.append(data);
      }
      if (line.ends_with(" noreply")) {
        cl.queue(request);
      } else {
        pipe.send(request, number);
      }
    } else {
      const std::size_t space = line.find(' ');
      try {
        const client::Segments path = c.path(line.substr(0, space));
        if (path.empty()) throw Failure{kExitUsage, "no path"};
        client::check_limits(path, mode);
        const std::string_view value = space == std::string::npos
                                           ? std::string_view{}
                                           : std::string_view(line).substr(space + 1);
        pipe.send(client::store_request("set", client::wire_path(path, mode), value, flags, ttl),
                  lines);
      } catch (const Failure& f) {
        report(lines, f.message);
        continue;
      } catch (const client::Error& e) {
        report(lines, e.what());
        continue;
      }
    }
    ++sent;
    progress.update(lines, bytes, false);
  }
  pipe.finish();
  cl.flush();
  progress.update(lines, bytes, true);
  char summary[160];
  std::snprintf(summary, sizeof summary,
                "loaded %zu of %zu requests in %.2f s (%.0f/s), %zu errors\n", sent - refused, sent,
                progress.seconds(), sent / std::max(1e-9, progress.seconds()), errors);
  c.err() << summary;
  return errors == 0 ? kExitOk : kExitServerError;
}

}  // namespace nestcache::cli
