// A value as the tree hands it to a visitor.
#pragma once

#include <cstdint>
#include <string_view>

namespace nestcache {

// A live value as seen by a visitor; the views die when the visitor returns.
struct ValueView {
  std::string_view data;
  uint32_t flags = 0;
  int64_t exptime = 0;  // absolute Unix time, 0 = never
  uint64_t cas = 0;
  bool fetched = false;     // read before (memcached's ITEM_FETCHED; mg h)
  bool stale = false;       // marked stale by md/ms with I (mg X)
  bool token_sent = false;  // a win token was handed out for it (mg Z)
};

}  // namespace nestcache
