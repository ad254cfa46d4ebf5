#include "store_rules.h"

#include <charconv>
#include <optional>
#include <string>

#include "nestcache/common/item_size.h"
#include "nestcache/common/numbers.h"

namespace nestcache {
namespace {

// A value as memcached's incr reads it (safe_strtoull: parse_u64). Up to 19 plain digits, which
// cannot overflow and are what a counter holds, are read here without a call to strtoull;
// anything else (spaces, a sign, 20 digits) goes to parse_u64. Pinned by
// StoreRulesTest.NonNumericValues and StoreRulesTest.NineteenDigitsAndLeadingZeros.
std::optional<uint64_t> counter_value(std::string_view data) {
  if (data.empty()) return std::nullopt;
  if (data.size() > 19) return parse_u64(data);
  uint64_t value = 0;
  for (const char c : data) {
    const unsigned digit = static_cast<unsigned char>(c) - unsigned{'0'};
    if (digit > 9) return parse_u64(data);
    value = value * 10 + digit;
  }
  return value;
}

}  // namespace

StoreResult store_value(Tree& tree, const Path& path, const StoreArgs& args) {
  UpdatePolicy policy;
  policy.create = args.mode == StoreMode::set || args.mode == StoreMode::add;
  policy.reserve = args.data.size();
  policy.with_marks = args.invalidate;  // an older cas keeps the value's token_sent mark
  NewValue next{args.data, args.flags, args.exptime, false};
  std::string joined;  // append/prepend: the value they write, alive until update() returns
  Status refused = Status::not_stored;
  const UpdateResult result =
      tree.update(path, policy, [&](const ValueView* current) -> const NewValue* {
        switch (args.mode) {
          case StoreMode::set:
            return &next;
          case StoreMode::add:
            return current == nullptr ? &next : nullptr;
          case StoreMode::replace:
            return current != nullptr ? &next : nullptr;
          case StoreMode::cas:
            if (current == nullptr) {
              refused = Status::not_found;
              return nullptr;
            }
            if (current->cas != args.cas) {
              if (args.invalidate && args.cas < current->cas) {
                next.keep_exptime = true;
                next.marks = static_cast<uint8_t>(kStaleMark | (current->marks & kTokenMark));
                return &next;
              }
              refused = Status::exists;
              return nullptr;
            }
            return &next;
          case StoreMode::append:
          case StoreMode::prepend:
            if (current == nullptr) return nullptr;
            if (args.has_cas && current->cas != args.cas) {
              refused = Status::exists;
              return nullptr;
            }
            if (args.max_item_size != 0 &&
                memcached_item_size(args.key_length, current->flags,
                                    current->data.size() + args.data.size()) > args.max_item_size) {
              return nullptr;  // memcached cannot allocate the joined item: NOT_STORED
            }
            // Flags and deadline stay as they were (memcached ignores them for append/prepend).
            joined.reserve(current->data.size() + args.data.size());
            joined.append(args.mode == StoreMode::append ? current->data : args.data);
            joined.append(args.mode == StoreMode::append ? args.data : current->data);
            next = NewValue{joined, current->flags, 0, /*keep_exptime=*/true};
            return &next;
        }
        return nullptr;
      });
  switch (result.outcome) {
    case UpdateOutcome::stored:
      return StoreResult{Status::stored, result.cas};
    case UpdateOutcome::unchanged:
      return StoreResult{refused};
    case UpdateOutcome::no_parent:  // set or add under strict_parents
      return StoreResult{Status::not_stored};
    case UpdateOutcome::out_of_memory:
      return StoreResult{Status::out_of_memory};
    case UpdateOutcome::bad_path:
      break;
  }
  return StoreResult{Status::not_stored};
}

ArithResult arith_value(Tree& tree, const Path& path, bool increment, uint64_t delta,
                        std::optional<uint64_t> expected_cas) {
  UpdatePolicy policy;
  policy.counts_as_item = false;  // memcached's total_items counts stores, not incr/decr
  // A cas mismatch takes no unique (memcached checks the cas before anything else).
  policy.unique_on_hit = !expected_cas;
  ArithResult out{Status::not_found};
  char buf[24];
  std::optional<std::string> text;  // the value written, alive until update() returns
  NewValue next;
  const UpdateResult result =
      tree.update(path, policy, [&](const ValueView* current) -> const NewValue* {
        if (current == nullptr) return nullptr;  // not_found
        if (expected_cas && current->cas != *expected_cas) {
          out.status = Status::exists;
          return nullptr;
        }
        // memcached: a value must be a decimal number (strtoull rules) to be counted.
        const std::string_view data = current->data;
        const std::optional<uint64_t> number = counter_value(data);
        if (!number) {
          out.status = Status::non_numeric;
          return nullptr;
        }
        uint64_t value = *number;
        if (increment) {
          value += delta;  // wraps at 2^64, as memcached does
        } else {
          value = delta > value ? 0 : value - delta;
        }
        const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
        (void)ec;
        text.emplace(buf, end);
        // memcached rewrites a shorter number in place, padded with spaces to the old length.
        if (text->size() < data.size()) text->resize(data.size(), ' ');
        out.value = value;
        next = NewValue{*text, current->flags, 0, /*keep_exptime=*/true};
        return &next;
      });
  if (result.outcome == UpdateOutcome::stored) {
    out.status = Status::stored;
    out.cas = result.cas;
  }
  return out;
}

}  // namespace nestcache
