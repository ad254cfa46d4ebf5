#include "entry.h"

#include <malloc.h>

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <limits>
#include <new>

#include "allocation.h"
#include "kids.h"

namespace nestcache {
namespace {

constexpr std::size_t kTail = offsetof(Entry, tail_);

// The cas is kept as the low 7 bytes of a uint64 (Entry::set_cas).
static_assert(std::endian::native == std::endian::little);

}  // namespace

// ---- accounting: the one place that defines what a node and a table cost ----

// `stats bytes`: a value-carrying node's header (fixed part and value slot), the name, the
// value, and one pointer in the parent's table. The same for a valueless node, so a node's
// logical size does not depend on which slots its allocation has at the moment.
std::size_t Entry::cost(std::size_t name_size, std::size_t data_size) {
  return kTail + Entry::kValueSlotSize + name_size + data_size + sizeof(Entry*);
}

std::size_t Entry::footprint() const { return cost(name_size_, data_size()); }

// The budget: what malloc really handed out, rounding and chunk header included.
std::size_t Entry::allocated() const { return chunk_size(this); }

// ---- Entry ----

Entry* Entry::create(std::string_view name, std::size_t data_capacity, bool kids_slot,
                     bool value_slot, uint8_t depth) {
  auto* node = new (allocate(alloc_size(name.size(), data_capacity, kids_slot, value_slot))) Entry;
  node->up_ = nullptr;
  node->exptime_ = 0;
  node->name_size_ = static_cast<uint8_t>(name.size());
  node->bits_ = static_cast<uint8_t>((kids_slot ? kKidsSlot : 0) | (value_slot ? kValueBit : 0));
  node->depth_ = depth;
  std::memcpy(node->tail(), name.data(), name.size());
  if (kids_slot) node->set_slot(nullptr);
  if (value_slot) std::memset(node->value_slot(), 0, kValueSlotSize);
  return node;
}

Entry* Entry::copy(const Entry* from, std::size_t data_capacity, bool kids_slot, bool value_slot) {
  kids_slot = kids_slot || from->has_kids_slot();
  auto* node =
      new (allocate(alloc_size(from->name_size_, data_capacity, kids_slot, value_slot))) Entry;
  node->up_ = from->up_;
  node->exptime_ = from->exptime_;
  node->name_size_ = from->name_size_;
  node->bits_ = static_cast<uint8_t>((from->bits_ & ~kValueBit) | (kids_slot ? kKidsSlot : 0) |
                                     (value_slot ? kValueBit : 0));
  node->depth_ = from->depth_;
  std::memcpy(node->tail(), from->tail(), from->name_size_);
  if (value_slot) {
    if (from->has_value_slot()) {
      std::memcpy(node->value_slot(), from->value_slot(), kValueSlotSize);
    } else {
      std::memset(node->value_slot(), 0, kValueSlotSize);
    }
  }
  if (kids_slot) node->set_slot(from->slot());  // a Kids* or the sole child, as `from` had
  if (value_slot) {
    const std::size_t keep = std::min<std::size_t>(from->data_size(), data_capacity);
    node->set_data_size(keep);
    std::memcpy(node->data_ptr(), from->data().data(), keep);
  }
  return node;
}

void Entry::destroy(Entry* node) {
  node->~Entry();
  std::free(node);
}

std::size_t Entry::data_capacity() const {
  if (!has_value_slot()) return 0;
  return malloc_usable_size(const_cast<Entry*>(this)) - kTail - kValueSlotSize - kids_bytes() -
         name_size_;
}

uint64_t Entry::cas() const {
  uint64_t cas = 0;
  if (has_value_slot()) std::memcpy(&cas, value_slot() + kCasAt, 7);
  return cas & kCasMask;
}

void Entry::set_cas(uint64_t cas) {
  cas &= kCasMask;
  std::memcpy(value_slot() + kCasAt, &cas, 7);
}

void Entry::set_meta_marks(bool stale, bool token_sent) {
  uint64_t cas = 0;
  std::memcpy(&cas, value_slot() + kCasAt, 7);
  cas = (cas & kCasMask) | (stale ? kStaleBit : 0) | (token_sent ? kTokenBit : 0);
  std::memcpy(value_slot() + kCasAt, &cas, 7);
}

void Entry::set_exptime(int64_t exptime) {
  exptime_ =
      static_cast<uint32_t>(std::clamp<int64_t>(exptime, 0, std::numeric_limits<uint32_t>::max()));
}

}  // namespace nestcache
