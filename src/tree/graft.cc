// Tree::stage_name and Tree::graft: replacing a subtree at once with one staged beside it.
//
// The staged subtree is built by ordinary writes under a sibling name (in the target's shard),
// then graft() swaps the two nodes' children slots (a Kids table, or a sole child, carries the
// subtree's figures with it), copies the staged value (at most -I bytes) and sends the staged
// node, now holding the old children, to the graveyard. Depth, LRU, deadlines and the memory
// account are the shard's and do not change hands, so the work under the lock is O(1) in the
// number of nodes on either side.
#include <random>

#include "kids.h"
#include "name_hash.h"
#include "shard.h"

namespace nestcache {
namespace {

constexpr std::string_view kStageWord = "stage";
constexpr std::size_t kRandomDigits = 8;
// '~' and '-' unless the separator is one of them.
char lead(char avoid) { return avoid == '~' ? '^' : '~'; }
char dash(char avoid) { return avoid == '-' ? '_' : '-'; }
constexpr std::size_t kOverhead = 1 + kStageWord.size() + 1 + kRandomDigits + 1;

}  // namespace

std::string_view Tree::staged_target(std::string_view name) {
  if (name.size() <= kOverhead || (name[0] != '~' && name[0] != '^') ||
      name.substr(1, kStageWord.size()) != kStageWord) {
    return {};
  }
  return name.substr(kOverhead);
}

std::string Tree::stage_name(const Path& target, char avoid) {
  if (target.empty() || target.back().size() + kOverhead > kMaxSegmentLength) return {};
  const std::string_view name = target.back();
  thread_local std::mt19937_64 random{std::random_device{}()};
  const std::size_t target_shard = shard_index(hash_name(target.front()));
  static constexpr char kHex[] = "0123456789abcdef";
  for (;;) {
    std::string staged;
    staged += lead(avoid);
    staged += kStageWord;
    staged += dash(avoid);
    uint64_t bits = random();
    for (std::size_t i = 0; i < kRandomDigits; ++i, bits >>= 4) staged += kHex[bits & 15];
    staged += dash(avoid);
    staged += name;
    // A top-level sibling must live in the target's shard, to be swapped under one lock.
    if (target.size() == 1 && shard_index(hash_name(staged)) != target_shard) continue;
    Path sibling(target.begin(), target.end() - 1);
    sibling.push_back(staged);
    const bool taken = with_node(sibling, [](Shard&, Entry* node) { return node != nullptr; });
    if (!taken) return staged;
  }
}

Status Tree::graft(const Path& target, std::string_view staged, int64_t exptime) {
  if (target.empty() || target.size() > options_.max_depth) return Status::not_stored;
  if (target.size() == 1 && shard_index(hash_name(staged)) != shard_index(hash_name(target[0]))) {
    return Status::not_stored;
  }
  Released released;  // freed on return, after the lock is let go
  return with_shard(target[0], [&](Shard& shard, int64_t now) {
    Entry* parent = nullptr;
    if (target.size() > 1) {
      parent = shard.find(target, target.size() - 1, now);
      if (parent == nullptr) return Status::not_found;
    }
    Entry* from = shard.live_child(parent, staged, now);
    if (from == nullptr) return Status::not_found;
    Entry* into = shard.live_child(parent, target.back(), now);
    Change change;
    change.kind = ChangeKind::graft;
    change.path = &target;
    change.staged = staged;
    change.exptime = exptime;
    shard.report_graft(change);
    shard.graft(parent, into, target.back(), from, exptime);
    shard.drain(256, released);
    return Status::stored;
  });
}

void Tree::Shard::graft(Entry* parent, Entry* target, std::string_view name, Entry* staged,
                        int64_t exptime) {
  if (target == nullptr) {
    target = create_child(parent, name);  // may move `parent`; `staged` stays where it is
  }
  if (!target->has_kids_slot()) {
    target = relocate(target, target->data().size(), true, target->has_value_slot());
  }
  if (!staged->has_kids_slot()) {
    staged = relocate(staged, staged->data().size(), true, staged->has_value_slot());
  }
  // Swap the children slots, then point each side's children (or table) at its new owner.
  Kids* target_kids = target->kids();
  Entry* target_sole = target->sole_child();
  Kids* staged_kids = staged->kids();
  Entry* staged_sole = staged->sole_child();
  auto adopt = [](Entry* owner, Kids* kids, Entry* sole) {
    if (sole != nullptr) {
      owner->set_sole_child(sole);
      sole->hang_under(owner);
    } else {
      owner->set_kids(kids);
      if (kids != nullptr) kids->owner = owner;
    }
  };
  adopt(target, staged_kids, staged_sole);
  adopt(staged, target_kids, target_sole);
  ++slot_moves_;  // a scan of either table under way starts over
  if (staged->has_value()) {
    const ValueView value = staged->value();
    target = set_value(target, value.data, value.flags, value.cas);
  } else if (target->has_value()) {
    clear_value(target);  // keeps the node: it has the staged node's children now
    target = staged->parent() != nullptr ? staged->parent()->find_child(name) : roots_->find(name);
  }
  set_exptime(target, exptime);
  remove(staged);
}

}  // namespace nestcache
