// Reading a watch's stream in tests: events parsed back from the wire, and a model of a
// subtree that replays them (what a client that mirrors a subtree does).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "nestcache/tree/tree.h"
#include "nestcache/watch/watch.h"

namespace nestcache {

// One event as read from the stream.
struct StreamEvent {
  std::string word;  // SET TOUCH DELETE EXPIRE EVICT UNSET FLUSH PROGRESS CANCELED COMPACTED
  uint64_t revision = 0;
  std::vector<std::string> path;
  uint32_t flags = 0;
  int64_t exptime = 0;
  std::string data;
  std::string staged;  // GRAFT: the sibling whose subtree the node now holds
};

// Parses whole events off the front of `wire` (which holds only whole ones: take() never
// splits one).
inline std::vector<StreamEvent> parse_events(const std::string& wire) {
  std::vector<StreamEvent> events;
  std::size_t at = 0;
  while (at < wire.size()) {
    const std::size_t end = wire.find("\r\n", at);
    std::istringstream line(wire.substr(at, end - at));
    at = end + 2;
    StreamEvent event;
    line >> event.word >> event.revision;
    std::vector<std::string> tokens;
    for (std::string token; line >> token;) tokens.push_back(token);
    if (event.word == "SET") {
      const std::size_t bytes = std::stoul(tokens.back());
      event.exptime = std::stoll(tokens[tokens.size() - 2]);
      event.flags = static_cast<uint32_t>(std::stoul(tokens[tokens.size() - 3]));
      tokens.resize(tokens.size() - 3);
      event.data = wire.substr(at, bytes);
      at += bytes + 2;
    } else if (event.word == "TOUCH") {
      event.exptime = std::stoll(tokens.back());
      tokens.pop_back();
    } else if (event.word == "GRAFT") {
      event.exptime = std::stoll(tokens.back());
      tokens.pop_back();
      event.staged = tokens.back();
      tokens.pop_back();
    } else if (event.word == "CANCELED") {
      tokens.clear();  // "slow consumer"
    }
    event.path = tokens;
    events.push_back(std::move(event));
  }
  return events;
}

// A value as a mirror holds it.
struct MirrorValue {
  std::string data;
  uint32_t flags = 0;
  int64_t exptime = 0;
  bool operator==(const MirrorValue&) const = default;
};
using Mirror = std::map<std::vector<std::string>, MirrorValue>;

inline bool has_prefix(const std::vector<std::string>& path,
                       const std::vector<std::string>& prefix) {
  return path.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// Applies one event to `mirror`, a copy of the values at and below `root`.
inline void apply(Mirror& mirror, const StreamEvent& event) {
  if (event.word == "SET") {
    mirror[event.path] = MirrorValue{event.data, event.flags, event.exptime};
  } else if (event.word == "TOUCH") {
    if (auto it = mirror.find(event.path); it != mirror.end()) it->second.exptime = event.exptime;
  } else if (event.word == "DELETE" || event.word == "EXPIRE") {
    std::erase_if(mirror, [&](const auto& entry) { return has_prefix(entry.first, event.path); });
  } else if (event.word == "EVICT" || event.word == "UNSET") {
    mirror.erase(event.path);
  } else if (event.word == "FLUSH") {
    mirror.clear();
  } else if (event.word == "GRAFT") {
    // The staged sibling's subtree moves to the node, which gets the new deadline.
    std::vector<std::string> staged = event.path;
    staged.back() = event.staged;
    Mirror moved;
    for (const auto& [path, value] : mirror) {
      if (!has_prefix(path, staged)) continue;
      std::vector<std::string> to = event.path;
      to.insert(to.end(), path.begin() + static_cast<std::ptrdiff_t>(staged.size()), path.end());
      moved[to] = value;
    }
    std::erase_if(mirror, [&](const auto& entry) {
      return has_prefix(entry.first, event.path) || has_prefix(entry.first, staged);
    });
    if (auto it = moved.find(event.path); it != moved.end()) it->second.exptime = event.exptime;
    mirror.merge(moved);
  }
}

// The values at and below `root` in `tree`, as a mirror holds them.
inline Mirror mirror_of(Tree& tree, const std::vector<std::string>& root) {
  Mirror mirror;
  Path path(root.begin(), root.end());
  tree.walk(path, [&](const Path& full, const ValueView& value) {
    mirror[std::vector<std::string>(full.begin(), full.end())] =
        MirrorValue{std::string(value.data), value.flags, value.exptime};
  });
  return mirror;
}

// Everything the watch has ready now (take() until it is idle or ended).
inline std::string take_all(Watch& watch, Watch::Step* last = nullptr) {
  std::string out;
  Watch::Step step;
  do {
    step = watch.take(out, out.size() + (1 << 16));  // max counts what `out` holds
  } while (step == Watch::Step::more);
  if (last != nullptr) *last = step;
  return out;
}

}  // namespace nestcache
