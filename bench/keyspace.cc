#include "keyspace.h"

#include <charconv>

namespace nestcache::bench {
namespace {

constexpr std::size_t kFlatDigits = 12;  // "key_" + 12 digits: 16-byte keys, as in memaslap -F

bool is_path_workload(WorkloadKind kind) {
  return kind == WorkloadKind::nested || kind == WorkloadKind::sep || kind == WorkloadKind::getn ||
         kind == WorkloadKind::gettree;
}

// The smallest f with f^depth >= keys: the path workloads spread the key space evenly over a
// tree of `depth` levels.
std::size_t fanout_for(std::size_t keys, std::size_t depth) {
  std::size_t fanout = 1;
  for (;;) {
    std::size_t reach = 1;
    for (std::size_t i = 0; i < depth && reach < keys; ++i) reach *= fanout;
    if (reach >= keys) return fanout;
    ++fanout;
  }
}

}  // namespace

void append_padded(std::string& out, std::size_t value, std::size_t width) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), value);
  (void)ec;  // 24 digits hold any size_t
  const auto length = static_cast<std::size_t>(end - digits);
  if (length < width) out.append(width - length, '0');
  out.append(digits, length);
}

KeySpace::KeySpace(const BenchOptions& options)
    : kind_(options.workload), keys_(options.keys), depth_(options.depth) {
  if (is_path_workload(kind_)) fanout_ = fanout_for(keys_, depth_);
  value_.reserve(options.value_size);
  for (std::size_t i = 0; i < options.value_size; ++i) {
    value_.push_back(static_cast<char>('a' + i % 26));
  }
  set_tail_ = " 0 0 " + std::to_string(options.value_size);
}

std::size_t KeySpace::read_targets() const {
  if (kind_ != WorkloadKind::gettree) return keys_;
  return (keys_ + fanout_ - 1) / fanout_;
}

void KeySpace::append_path(std::string& out, std::size_t index, std::size_t segments,
                           char joiner) const {
  // Segment j is 'a'+j followed by digit j of `index` in base fanout_, most significant first.
  std::size_t divisor = 1;
  for (std::size_t j = 1; j < depth_; ++j) divisor *= fanout_;
  for (std::size_t j = 0; j < segments; ++j) {
    if (j > 0) out.push_back(joiner);
    out.push_back(static_cast<char>('a' + j % 26));
    append_padded(out, (index / divisor) % fanout_, 1);
    divisor /= fanout_;
  }
}

void KeySpace::append_key(std::string& out, std::size_t index) const {
  if (is_path_workload(kind_)) {
    append_path(out, index, depth_, kind_ == WorkloadKind::sep ? ':' : ' ');
  } else {
    out.append("key_");
    append_padded(out, index, kFlatDigits);
  }
}

void KeySpace::append_set(std::string& out, std::size_t index, bool noreply) const {
  out.append("set ");
  append_key(out, index);
  out.append(set_tail_);
  if (noreply) out.append(" noreply");
  out.append("\r\n");
  out.append(value_);
  out.append("\r\n");
}

void KeySpace::append_read(std::string& out, std::size_t target) const {
  switch (kind_) {
    case WorkloadKind::nested:
    case WorkloadKind::getn:
      out.append("getn ");
      append_key(out, target);
      break;
    case WorkloadKind::gettree:
      out.append("gettree ");
      append_path(out, target * fanout_, depth_ - 1, ' ');
      break;
    default:
      out.append("get ");
      append_key(out, target);
      break;
  }
  out.append("\r\n");
}

}  // namespace nestcache::bench
