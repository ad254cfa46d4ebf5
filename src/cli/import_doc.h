// import's input: a nested or flat (Consul) document read into the values it holds and the
// subtrees it covers (which the import makes hold exactly those values).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "nestcache/client/path.h"

namespace nestcache::cli {

struct DocValue {
  std::string data;
  uint32_t flags = 0;
  int64_t exptime = 0;  // absolute Unix time, 0 = never
  bool operator==(const DocValue&) const = default;
};

struct ImportDoc {
  // The subtrees the document covers: "@root" of a nested document (else each of its top-level
  // names); for a flat one, the deepest node above all its keys.
  std::vector<client::Segments> roots;
  // Full path -> value, in walk order (segments compared bytewise, a node before its children).
  std::map<client::Segments, DocValue> values;
};

// Parses `text` (either format, told apart by its first character); Failure (kExitUsage) with
// "<source>:<line>:<column>: ..." for malformed JSON, and the node's path for a bad field.
ImportDoc parse_document(const std::string& text, const std::string& source);

// Moves the document's one covered subtree to `to` (import --to); Failure when it covers more.
void reroot(ImportDoc& doc, const client::Segments& to);

bool is_under(const client::Segments& root, const client::Segments& path);  // root or below

}  // namespace nestcache::cli
