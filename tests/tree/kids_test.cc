// The children table (Kids): tagged slots in a small sorted table and in the open-addressing hash
// table past kSmallKids children. Lookups must find every child whatever its tag or home slot
// shares with others, and erase's backward shift must keep every run reachable.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "nestcache/common/clock.h"
#include "nestcache/tree/tree.h"
#include "tree/entry.h"
#include "tree/kids.h"
#include "tree/name_hash.h"
#include "tree_fixture.h"

namespace nestcache {
namespace {

// Owns the table and the entries put in it (the tree would own them through a shard).
class KidsTest : public ::testing::Test {
 protected:
  ~KidsTest() override {
    if (kids_ != nullptr) Kids::destroy(kids_);
    for (Entry* entry : entries_) Entry::destroy(entry);
  }

  Entry* make(const std::string& name) {
    entries_.push_back(Entry::create(name, 0, false, false, 1));
    return entries_.back();
  }
  Entry* add(const std::string& name) {
    Entry* child = make(name);
    kids_ = Kids::insert(kids_, child);
    return child;
  }
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    kids_->for_each([&](Entry* child) { out.emplace_back(child->name()); });
    return out;
  }
  // Every child in `expected` is found by name, and nothing else is in the table.
  void expect_exactly(const std::map<std::string, Entry*>& expected) {
    ASSERT_EQ(kids_->size(), expected.size());
    for (const auto& [name, child] : expected) {
      ASSERT_EQ(kids_->find(name), child) << name;
    }
    std::vector<std::string> found = names();
    std::sort(found.begin(), found.end());
    std::vector<std::string> want;
    for (const auto& entry : expected) want.push_back(entry.first);
    EXPECT_EQ(found, want);
  }

  Kids* kids_ = Kids::create(nullptr);
  std::vector<Entry*> entries_;
};

std::size_t tag(const std::string& name) { return Kids::tag_of(hash_name(name)); }

// `count` distinct names that share one tag (found by trying names in turn).
std::vector<std::string> same_tag_names(std::size_t count) {
  std::map<std::size_t, std::vector<std::string>> by_tag;
  for (int i = 0;; ++i) {
    std::string name = "n" + std::to_string(i);
    auto& group = by_tag[tag(name)];
    group.push_back(name);
    if (group.size() == count) return group;
  }
}

// `count` distinct names whose hashes share their low `bits` bits (one home slot in a table of
// 2^bits slots), and `home` is that slot.
std::vector<std::string> same_home_names(std::size_t count, unsigned bits, std::size_t home) {
  std::vector<std::string> names;
  for (int i = 0; names.size() < count; ++i) {
    std::string name = "h" + std::to_string(i);
    if ((hash_name(name) & ((std::size_t{1} << bits) - 1)) == home) names.push_back(name);
  }
  return names;
}

TEST_F(KidsTest, SmallTableFindsEveryChildAndKeepsNameOrder) {
  std::map<std::string, Entry*> expected;
  for (const char* name :
       {"m", "b", "zz", "a", "q", "bb", "c", "x", "k", "f", "e", "d", "y", "g", "h", "i"}) {
    expected[name] = add(name);
  }
  EXPECT_FALSE(kids_->is_big());
  expect_exactly(expected);
  std::vector<std::string> sorted;
  for (const auto& entry : expected) sorted.push_back(entry.first);
  EXPECT_EQ(names(), sorted);  // walk relies on a small table's order
  EXPECT_EQ(kids_->find("zzz"), nullptr);
  EXPECT_EQ(kids_->find("n"), nullptr);
}

TEST_F(KidsTest, GrowsIntoAHashTableWithinItsLoadLimit) {
  std::map<std::string, Entry*> expected;
  for (int i = 0; i < Kids::kSmallKids; ++i) {
    const std::string name = "c" + std::to_string(i);
    expected[name] = add(name);
  }
  ASSERT_FALSE(kids_->is_big());
  expected["c16"] = add("c16");
  ASSERT_TRUE(kids_->is_big());
  EXPECT_EQ(kids_->capacity(), 32u);
  expect_exactly(expected);
  for (int i = 17; i < 3000; ++i) {
    const std::string name = "c" + std::to_string(i);
    expected[name] = add(name);
    ASSERT_LE(kids_->size() * 4, kids_->capacity() * 3) << i;
  }
  expect_exactly(expected);
  EXPECT_EQ(kids_->find("c3000"), nullptr);
}

TEST_F(KidsTest, ChildrenWithOneTagAreToldApartByName) {
  const std::vector<std::string> twins = same_tag_names(20);
  ASSERT_EQ(tag(twins[0]), tag(twins[19]));
  std::map<std::string, Entry*> expected;
  // Small, then past kSmallKids into the hash table: each must still be found by its name.
  for (std::size_t i = 0; i < twins.size() - 1; ++i) {
    expected[twins[i]] = add(twins[i]);
    expect_exactly(expected);
  }
  EXPECT_TRUE(kids_->is_big());
  EXPECT_EQ(kids_->find(twins.back()), nullptr);  // same tag, absent
  for (std::size_t i = 0; i < twins.size() - 1; i += 2) {
    kids_->erase(expected[twins[i]]);
    expected.erase(twins[i]);
    expect_exactly(expected);
  }
}

TEST_F(KidsTest, EraseKeepsRunsOfOneHomeSlotReachable) {
  // 17 children make a 32-slot table. Ten share home slot 30, so their run wraps past the end
  // of the array into slots 0..5; erasing from any point of the run must move the rest back.
  const std::vector<std::string> crowd = same_home_names(10, 5, 30);
  std::map<std::string, Entry*> expected;
  for (const std::string& name : crowd) expected[name] = add(name);
  for (int i = 0; kids_->size() < 17; ++i) {
    const std::string name = "f" + std::to_string(i);
    const std::size_t home = hash_name(name) & 31;
    if (home >= 8 && home < 24) expected[name] = add(name);  // others, away from the run
  }
  ASSERT_TRUE(kids_->is_big());
  ASSERT_EQ(kids_->capacity(), 32u);
  expect_exactly(expected);
  for (std::size_t i : {4u, 0u, 9u, 5u, 1u, 8u, 2u, 7u, 3u, 6u}) {
    kids_->erase(expected[crowd[i]]);
    expected.erase(crowd[i]);
    expect_exactly(expected);
  }
}

TEST_F(KidsTest, ReplaceRepointsTheSlotOfTheSameName) {
  for (int i = 0; i < 40; ++i) add("r" + std::to_string(i));
  Entry* old = kids_->find("r7");
  ASSERT_NE(old, nullptr);
  Entry* moved = make("r7");  // a relocated node: same name, new address
  kids_->replace(old, moved);
  EXPECT_EQ(kids_->find("r7"), moved);
  EXPECT_EQ(kids_->size(), 40u);
}

TEST_F(KidsTest, TakeOneDrainsAHashTableOnce) {
  std::set<Entry*> in;
  for (int i = 0; i < 5000; ++i) in.insert(add("t" + std::to_string(i)));
  std::set<Entry*> out;
  while (!kids_->empty()) {
    Entry* child = kids_->take_one();
    ASSERT_TRUE(out.insert(child).second) << "taken twice";
    if (out.size() == 2500) {
      // A child added halfway (possibly past where take_one has reached) is still taken.
      Entry* late = add("late");
      in.insert(late);
    }
  }
  EXPECT_EQ(out, in);
  EXPECT_EQ(kids_->find("t1"), nullptr);
}

TEST_F(KidsTest, ClearGivesTheHashTableSlotsBack) {
  Kids::destroy(kids_);
  kids_ = Kids::create(nullptr, /*big=*/true);  // as a shard's roots
  const std::size_t empty = kids_->allocated();
  for (int i = 0; i < 1000; ++i) add("k" + std::to_string(i));
  EXPECT_GT(kids_->allocated(), empty + 1000 * sizeof(uint64_t));
  kids_->clear();
  EXPECT_EQ(kids_->allocated(), empty);
  EXPECT_EQ(kids_->find("k1"), nullptr);
  add("k1");
  EXPECT_NE(kids_->find("k1"), nullptr);
}

class KidsRandomTest : public KidsTest, public ::testing::WithParamInterface<uint32_t> {};

// Inserts, erases, relocations and take_one at random, the table checked against a map after
// every step, growing past kSmallKids and shrinking back.
TEST_P(KidsRandomTest, MatchesAReference) {
  std::mt19937 rng(GetParam());
  std::map<std::string, Entry*> expected;
  auto name_of = [&](uint32_t i) { return "x" + std::to_string(i); };
  for (int step = 0; step < 4000; ++step) {
    const int phase = (step / 500) % 2;  // grow, then mostly shrink
    const uint32_t pick = rng() % 300;
    const std::string name = name_of(pick);
    const uint32_t op = rng() % 10;
    if (op < (phase == 0 ? 6u : 3u)) {
      if (expected.count(name) == 0) expected[name] = add(name);
    } else if (op < 9) {
      if (auto it = expected.find(name); it != expected.end()) {
        kids_->erase(it->second);
        expected.erase(it);
      }
    } else if (auto it = expected.find(name); it != expected.end() && rng() % 2 == 0) {
      Entry* moved = make(name);
      kids_->replace(it->second, moved);
      it->second = moved;
    } else if (!expected.empty()) {
      Entry* child = kids_->take_one();
      const std::string taken(child->name());
      ASSERT_EQ(expected.at(taken), child);
      expected.erase(taken);
    }
    ASSERT_EQ(kids_->size(), expected.size()) << "step " << step;
    if (step % 25 == 0) {
      expect_exactly(expected);
      for (uint32_t i = 300; i < 310; ++i) ASSERT_EQ(kids_->find(name_of(i)), nullptr);
    }
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, KidsRandomTest, ::testing::Values(1u, 7u, 99u, 2024u));

// The same tables seen through the tree: wide nodes whose children move (a value outgrows its
// allocation; a child gains its own children slot), are deleted, evicted and share tags.
class WideNodeTest : public TreeFixture {
 protected:
  explicit WideNodeTest(uint64_t budget = 0)
      : TreeFixture(TreeOptions{false, kDefaultMaxDepth, budget, true}) {}

  UpdateOutcome set(const Path& path, std::string_view data) {
    return set_value(tree_, path, data).outcome;
  }
};

TEST_F(WideNodeTest, ChildrenThatMoveOrGoStayFindable) {
  std::map<std::string, std::string> expected;  // child of "p" -> its value
  for (int i = 0; i < 300; ++i) {
    const std::string name = "c" + std::to_string(i);
    expected[name] = "v" + std::to_string(i);
    ASSERT_EQ(set({"p", name}, expected[name]), UpdateOutcome::stored);
  }
  for (int i = 0; i < 300; i += 3) {
    // A value too big for the node's allocation: the node moves, its slot is re-pointed.
    const std::string name = "c" + std::to_string(i);
    expected[name] = std::string(3000 + i, 'L');
    ASSERT_EQ(set({"p", name}, expected[name]), UpdateOutcome::stored);
  }
  for (int i = 1; i < 300; i += 3) {
    // A first child: the node moves to an allocation with a children slot.
    ASSERT_EQ(set({"p", "c" + std::to_string(i), "q"}, "below"), UpdateOutcome::stored);
  }
  for (int i = 2; i < 300; i += 6) {
    ASSERT_EQ(tree_.remove({"p", "c" + std::to_string(i)}), Status::deleted);
    expected.erase("c" + std::to_string(i));
  }
  for (int i = 0; i < 310; ++i) {
    const std::string name = "c" + std::to_string(i);
    const auto it = expected.find(name);
    ASSERT_EQ(data({"p", name}), it == expected.end() ? std::nullopt : std::optional(it->second))
        << name;
  }
  EXPECT_EQ(data({"p", "c1", "q"}), "below");
  std::vector<std::string> names;
  for (const auto& entry : expected) names.push_back(entry.first);
  EXPECT_EQ(children({"p"}), names);
  EXPECT_EQ(tree_.stats().nodes, 1 + expected.size() + 100);
}

TEST_F(WideNodeTest, ChildrenWithOneTagAtEveryLevel) {
  const std::vector<std::string> twins = same_tag_names(18);
  // The same names at the top level, under a small table's owner and under a wide node.
  for (const std::string& name : twins) {
    ASSERT_EQ(set({name}, "top " + name), UpdateOutcome::stored);
    ASSERT_EQ(set({"wide", name}, "wide " + name), UpdateOutcome::stored);
  }
  for (std::size_t i = 0; i < 3; ++i)
    ASSERT_EQ(set({"few", twins[i]}, twins[i]), UpdateOutcome::stored);
  for (const std::string& name : twins) {
    EXPECT_EQ(data({name}), "top " + name);
    EXPECT_EQ(data({"wide", name}), "wide " + name);
  }
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(data({"few", twins[i]}), twins[i]);
  EXPECT_EQ(data({"few", twins[3]}), std::nullopt);
}

class WideNodeEvictionTest : public WideNodeTest {
 protected:
  WideNodeEvictionTest() : WideNodeTest(64 * 1024) {}
};

TEST_F(WideNodeEvictionTest, EvictedChildrenLeaveTheTableConsistent) {
  const std::string value(500, 'e');
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(set({"ns", "k" + std::to_string(i)}, value + std::to_string(i)),
              UpdateOutcome::stored);
  }
  const TreeStats stats = tree_.stats();
  ASSERT_GT(stats.evictions, 500u);
  // What is left is exactly what the table finds and lists, with the right values.
  const std::vector<std::string> names = *children({"ns"});
  EXPECT_EQ(names.size(), stats.items);
  for (const std::string& name : names) {
    EXPECT_EQ(data({"ns", name}), value + name.substr(1)) << name;
  }
  EXPECT_EQ(data({"ns", "k999"}), value + "999");  // the newest is never the one evicted
}

}  // namespace
}  // namespace nestcache
