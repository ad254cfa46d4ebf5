// The keys of a workload and the request text for each: which key a request names and how it
// is spelled (flat key, spaced path, ':'-joined path). Texts are appended straight into a
// connection's output buffer, so composing a request allocates nothing.
#pragma once

#include <cstddef>
#include <string>

#include "options.h"

namespace nestcache::bench {

class KeySpace {
 public:
  explicit KeySpace(const BenchOptions& options);

  // Number of keys a set may name (the whole key space).
  std::size_t keys() const { return keys_; }
  // Number of targets a read may name: the key space, or for gettree the parents of the leaves.
  std::size_t read_targets() const;

  // set <key> 0 0 <value-size>[ noreply]\r\n<value>\r\n
  void append_set(std::string& out, std::size_t index, bool noreply) const;
  // The workload's read: get <key>, getn <path> or gettree <parent path>.
  void append_read(std::string& out, std::size_t target) const;

  // Leaves under one gettree parent (1 for the other workloads).
  std::size_t fanout() const { return fanout_; }

 private:
  void append_key(std::string& out, std::size_t index) const;
  // The first `segments` segments of key `index`, joined by `joiner`.
  void append_path(std::string& out, std::size_t index, std::size_t segments, char joiner) const;

  WorkloadKind kind_;
  std::size_t keys_;
  std::size_t depth_;
  std::size_t fanout_ = 1;  // children per inner node of a path workload
  std::string value_;
  std::string set_tail_;  // " 0 0 <bytes>"
};

// Appends `value` in decimal, left-padded with zeros to `width` digits.
void append_padded(std::string& out, std::size_t value, std::size_t width);

}  // namespace nestcache::bench
