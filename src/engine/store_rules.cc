#include "store_rules.h"

#include <charconv>
#include <optional>
#include <string>

#include "nestcache/common/numbers.h"

namespace nestcache {

StoreResult store_value(Tree& tree, const Path& path, const StoreArgs& args) {
  const bool creates = args.mode == StoreMode::set || args.mode == StoreMode::add;
  const Status missing = args.mode == StoreMode::cas ? Status::not_found : Status::not_stored;
  UpdatePolicy policy;
  policy.create = creates;
  policy.reserve = args.data.size();

  Status refused = Status::not_stored;
  std::string joined;  // append/prepend: the value they write, alive until update() returns
  const UpdateResult result =
      tree.update(path, policy, [&](const ValueView* current) -> std::optional<NewValue> {
        switch (args.mode) {
          case StoreMode::set:
            break;
          case StoreMode::add:
            if (current != nullptr) return std::nullopt;  // not_stored
            break;
          case StoreMode::replace:
          case StoreMode::append:
          case StoreMode::prepend:
          case StoreMode::cas:
            if (current == nullptr) {
              refused = missing;
              return std::nullopt;
            }
            if (args.mode == StoreMode::cas && current->cas != args.cas) {
              refused = Status::exists;
              return std::nullopt;
            }
            break;
        }
        if (args.mode == StoreMode::append || args.mode == StoreMode::prepend) {
          // Flags and deadline stay as they were (memcached ignores them for append/prepend).
          joined.reserve(current->data.size() + args.data.size());
          joined.append(args.mode == StoreMode::append ? current->data : args.data);
          joined.append(args.mode == StoreMode::append ? args.data : current->data);
          return NewValue{joined, current->flags, 0, /*keep_exptime=*/true};
        }
        return NewValue{args.data, args.flags, args.exptime, /*keep_exptime=*/false};
      });
  switch (result.outcome) {
    case UpdateOutcome::stored:
      return StoreResult{Status::stored, result.cas};
    case UpdateOutcome::unchanged:
      return StoreResult{refused};
    case UpdateOutcome::no_parent:
      return StoreResult{missing};
    case UpdateOutcome::out_of_memory:
      return StoreResult{Status::out_of_memory};
    case UpdateOutcome::bad_path:
      break;
  }
  return StoreResult{Status::not_stored};
}

ArithResult arith_value(Tree& tree, const Path& path, bool increment, uint64_t delta) {
  UpdatePolicy policy;
  policy.counts_as_item = false;  // memcached's total_items counts stores, not incr/decr
  policy.unique_on_hit = true;
  ArithResult out{Status::not_found};
  char buf[24];
  std::string text;  // the value written, alive until update() returns
  const UpdateResult result =
      tree.update(path, policy, [&](const ValueView* current) -> std::optional<NewValue> {
        if (current == nullptr) return std::nullopt;  // not_found
        // memcached: a value must be a decimal number (strtoull rules) to be counted.
        const std::string_view data = current->data;
        auto number = data.empty() ? std::nullopt : parse_u64(data);
        if (!number) {
          out.status = Status::non_numeric;
          return std::nullopt;
        }
        uint64_t value = *number;
        if (increment) {
          value += delta;  // wraps at 2^64, as memcached does
        } else {
          value = delta > value ? 0 : value - delta;
        }
        const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
        (void)ec;
        text.assign(buf, end);
        // memcached rewrites a shorter number in place, padded with spaces to the old length.
        if (text.size() < data.size()) text.resize(data.size(), ' ');
        out.value = value;
        return NewValue{text, current->flags, 0, /*keep_exptime=*/true};
      });
  if (result.outcome == UpdateOutcome::stored) out.status = Status::stored;
  return out;
}

}  // namespace nestcache
