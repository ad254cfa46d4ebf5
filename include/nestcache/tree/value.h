// A value as the tree hands it to a visitor.
#pragma once

#include <cstdint>
#include <string_view>

namespace nestcache {

// A live value as seen by a visitor; the views die when the visitor returns.
// The meta protocol's marks on a value (ValueView::marks, NewValue::marks).
inline constexpr uint8_t kFetchedMark = 1;  // read before (memcached's ITEM_FETCHED; mg h)
inline constexpr uint8_t kStaleMark = 2;    // marked stale by md/ms with I (mg X)
inline constexpr uint8_t kTokenMark = 4;    // a win token was handed out for it (mg Z)

struct ValueView {
  std::string_view data;
  uint32_t flags = 0;
  // Filled in only where the meta protocol reads them (Tree::read_meta, and Tree::update's
  // current value under UpdatePolicy::with_marks); 0 elsewhere. One byte in the padding after
  // `flags`: a get does not pay for it.
  uint8_t marks = 0;
  int64_t exptime = 0;  // absolute Unix time, 0 = never
  uint64_t cas = 0;

  bool fetched() const { return (marks & kFetchedMark) != 0; }
  bool stale() const { return (marks & kStaleMark) != 0; }
  bool token_sent() const { return (marks & kTokenMark) != 0; }
};

}  // namespace nestcache
