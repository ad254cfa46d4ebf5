#include "transcript_runner.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "harness.h"
#include "line_regex.h"
#include "nestcache/config/options.h"
#include "nestcache/durability/durability.h"
#include "nestcache/server/module_options.h"

namespace nestcache::spec {
namespace {

// A difference between the transcript and the session; what() is the report.
class Mismatch : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bytes as a C-style literal, cut at `limit` characters, for reports.
std::string show(std::string_view bytes, std::size_t limit = 600) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text = "\"";
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\r') {
      text += "\\r";
    } else if (c == '\n') {
      text += "\\n";
    } else if (c == '\t') {
      text += "\\t";
    } else if (c == '\\' || c == '"') {
      text += '\\';
      text += c;
    } else if (u < 0x20 || u >= 0x7f) {
      text += "\\x";
      text += kHex[u >> 4];
      text += kHex[u & 0xf];
    } else {
      text += c;
    }
    if (text.size() > limit) return text + "\"... (" + std::to_string(bytes.size()) + " bytes)";
  }
  return text + "\"";
}

std::string where(const Step& step) {
  return "line " + std::to_string(step.line) + ": " + step.source.substr(0, 200);
}

// More rounds than this for one received piece means the session never asks for input again.
constexpr int kMaxRounds = 1'000'000;

class Replayer {
 public:
  Replayer(const Transcript& transcript, const ReplayOptions& options)
      : transcript_(transcript), options_(options) {
    start(transcript.args);
  }

  void run() {
    const std::vector<Step>& steps = transcript_.steps;
    std::size_t i = 0;
    while (i < steps.size()) {
      switch (steps[i].kind) {
        case StepKind::send: {
          std::string write;  // consecutive >>> lines are one write
          for (; i < steps.size() && steps[i].kind == StepKind::send; ++i) {
            write += resolve(steps[i]);
          }
          send(write);
          continue;
        }
        case StepKind::expect: {
          const std::size_t first = i;
          while (i < steps.size() && steps[i].kind == StepKind::expect) ++i;
          expect(first, i);
          continue;
        }
        case StepKind::regex:
        case StepKind::repeat:
          expect_lines(steps[i]);
          break;
        case StepKind::sleep:
          harness_->clock().advance(sleep_seconds(steps[i].seconds));
          break;
        case StepKind::closed:
          if (!closed_) throw Mismatch(where(steps[i]) + "\n    the session did not close");
          quiet(steps[i], "before the close");
          break;
        case StepKind::reconnect:
          quiet(steps[i], "before reconnecting");
          harness_->reconnect();
          input_.clear();
          closed_ = false;
          break;
      }
      ++i;
    }
    if (!answered_.empty()) {
      throw Mismatch("at the end of the file\n    answered more: " + show(answered_));
    }
  }

 private:
  // The session as `# args:` asks; `${datadir}` there is a fresh directory (--data-dir), and
  // then a journal is opened over the harness's tree, as the daemon does.
  void start(std::vector<std::string> args) {
    for (std::string& arg : args) {
      const std::size_t at = arg.find("${datadir}");
      if (at == std::string::npos) continue;
      if (data_dir_.empty()) {
        std::string pattern = std::filesystem::temp_directory_path() / "nestcache-spec-XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr) throw Mismatch("mkdtemp failed");
        data_dir_ = pattern;
      }
      arg.replace(at, 10, data_dir_);
    }
    std::vector<const char*> argv = {"nestcached"};
    for (const std::string& arg : args) argv.push_back(arg.c_str());
    const ParsedOptions parsed = parse_options(static_cast<int>(argv.size()), argv.data());
    if (parsed.exit_code) throw Mismatch("# args: rejected by parse_options: " + parsed.message);
    if (parsed.options.data_dir.empty()) {
      harness_ = std::make_unique<Harness>(parsed.options);
      return;
    }
    durability_ = std::make_unique<Durability>(durability_options(parsed.options));
    harness_ = std::make_unique<Harness>(parsed.options, durability_.get());
    std::ostringstream log;
    const RecoveryReport opened = durability_->open(harness_->tree(), log);
    if (!opened.ok) throw Mismatch("--data-dir: " + opened.error);
  }

 public:
  ~Replayer() {
    durability_.reset();  // closed while its tree is there
    harness_.reset();
    if (!data_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(data_dir_, ignored);
    }
  }

 private:
  int64_t sleep_seconds(double seconds) const {
    const auto whole = static_cast<int64_t>(std::floor(seconds));
    return options_.sleeps == SleepRounding::down ? whole : whole + 1;
  }

  // A TEXT line with each ${name} replaced by its bound value (escaped when `for_regex`); as in
  // replay.py a name is [A-Za-z_][A-Za-z0-9_]*, and anything else stays as written.
  std::string substitute(const Step& step, std::string_view text, bool for_regex) const {
    const auto is_name = [](std::string_view name) {
      if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
      return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
      });
    };
    std::string out;
    std::size_t at = 0;
    for (std::size_t open = text.find("${"); open != std::string_view::npos;
         open = text.find("${", open + 1)) {
      const std::size_t close = text.find('}', open);
      if (close == std::string_view::npos) break;
      const std::string name(text.substr(open + 2, close - open - 2));
      if (!is_name(name)) continue;
      const auto value = bound_.find(name);
      if (value == bound_.end()) {
        throw Mismatch(where(step) + "\n    ${" + name + "} is not bound by an earlier <<<~ line");
      }
      out.append(text.substr(at, open - at));
      out += for_regex ? regex_escape(value->second) : value->second;
      at = close + 1;
      open = close;
    }
    out.append(text.substr(at));
    return out;
  }

  std::string resolve(const Step& step) const {
    return step.raw ? step.data : substitute(step, step.data, false);
  }

  // One write from the client, arriving whole or in pieces of options_.piece bytes.
  void send(std::string_view write) {
    const std::size_t piece = options_.piece == 0 ? write.size() : options_.piece;
    for (std::size_t at = 0; at < write.size(); at += piece) receive(write.substr(at, piece));
  }

  // What a connection does with received bytes: feed the session until it wants more input.
  void receive(std::string_view bytes) {
    if (closed_) return;  // the server has closed: a client's later bytes go nowhere
    input_.append(bytes);
    for (int round = 0; round < kMaxRounds; ++round) {
      // A heap copy freed right after the call: a session that kept a view of its input past
      // feed() (session.h says it keeps none) reads freed memory, which ASan reports. Never a
      // null pointer, even when empty, as a connection's buffer never is.
      const auto copy = std::make_unique<char[]>(input_.size());
      input_.copy(copy.get(), input_.size());
      std::string out;
      const Fed fed = harness_->session().feed(std::string_view(copy.get(), input_.size()), out,
                                               options_.max_output);
      if (fed.consumed > input_.size()) throw Mismatch("feed() consumed more than it was given");
      input_.erase(0, fed.consumed);
      answered_ += out;
      if (fed.state == SessionState::close) {
        closed_ = true;
        input_.clear();
        return;
      }
      if (fed.state == SessionState::stream) {  // a watch: what it has sent by now
        std::string events;
        closed_ = harness_->take_stream(events);
        answered_ += events;
        input_.clear();
        return;
      }
      if (fed.state == SessionState::want_input) return;
    }
    throw Mismatch("the session never asked for more input after " + show(bytes));
  }

  // Steps [first, last) are <<< lines: together, the next bytes answered.
  void expect(std::size_t first, std::size_t last) {
    const std::vector<Step>& steps = transcript_.steps;
    std::vector<std::string> parts;
    std::string expected;
    for (std::size_t i = first; i < last; ++i) {
      parts.push_back(resolve(steps[i]));
      expected += parts.back();
    }
    if (answered_.compare(0, expected.size(), expected) == 0) {
      answered_.erase(0, expected.size());
      return;
    }
    std::size_t offset = 0;
    std::size_t i = first;
    for (; i + 1 < last; ++i) {
      if (answered_.compare(offset, parts[i - first].size(), parts[i - first]) != 0) break;
      offset += parts[i - first].size();
    }
    const std::string_view got =
        std::string_view(answered_).substr(std::min(offset, answered_.size()));
    throw Mismatch(where(steps[i]) + "\n    expected: " + show(parts[i - first]) +
                   "\n    answered: " + show(got.substr(0, parts[i - first].size() + 80)) +
                   (answered_.size() < expected.size() && expected.starts_with(answered_)
                        ? "  (then nothing)"
                        : "") +
                   "\n  whole reply group:\n    expected: " + show(expected) +
                   "\n    answered: " + show(answered_));
  }

  // A <<<~ (one line) or <<<+ (one or more lines) step.
  void expect_lines(const Step& step) {
    const LineRegex regex(substitute(step, step.data, true));
    int count = 0;
    for (;;) {
      const std::size_t end = answered_.find("\r\n");
      const std::string line = answered_.substr(0, end);
      if (end == std::string::npos || !regex.full_match(line, bound_)) {
        if (count > 0) return;  // the line stays for the next directive
        throw Mismatch(where(step) + "\n    expected a line matching it\n    answered: " +
                       show(answered_.substr(0, end == std::string::npos ? end : end + 2)));
      }
      answered_.erase(0, end + 2);
      ++count;
      if (step.kind == StepKind::regex) return;
    }
  }

  void quiet(const Step& step, std::string_view when) {
    if (answered_.empty()) return;
    throw Mismatch(where(step) + "\n    answered more " + std::string(when) + ": " +
                   show(answered_));
  }

  const Transcript& transcript_;
  const ReplayOptions options_;
  std::string data_dir_;  // ${datadir}, made for this transcript and removed after it
  std::unique_ptr<Harness> harness_;
  std::unique_ptr<Durability> durability_;    // with --data-dir
  std::string input_;                         // received bytes the session has not consumed yet
  std::string answered_;                      // reply bytes not yet matched by a <<< line
  bool closed_ = false;                       // the session said close (since the last reconnect)
  std::map<std::string, std::string> bound_;  // ${name} values
};

}  // namespace

std::string replay(const Transcript& transcript, const ReplayOptions& options) {
  try {
    Replayer(transcript, options).run();
    return "";
  } catch (const Mismatch& e) {
    return e.what();
  } catch (const TranscriptError& e) {
    return e.what();
  }
}

}  // namespace nestcache::spec
