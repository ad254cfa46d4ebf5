// The small rooms a shard is made of, each alone: the LRU (order, bump, second-chance mark,
// relocation), the deadline index (soonest first, moved and forgotten nodes) and the graveyard
// (children before their parent, bounded batches, memory handed over in Released).
#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tree/deadlines.h"
#include "tree/entry.h"
#include "tree/graveyard.h"
#include "tree/kids.h"
#include "tree/lru.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;

// Owns the entries a test makes (the shard would own them).
class Entries {
 public:
  ~Entries() {
    for (Entry* node : owned_) Entry::destroy(node);
  }
  Entry* valued(const std::string& name) { return keep(Entry::create(name, 8, false, true, 1)); }
  Entry* keep(Entry* node) {
    owned_.push_back(node);
    return node;
  }
  // Hands `node` over to someone else (it is freed there).
  void release(Entry* node) { std::erase(owned_, node); }

 private:
  std::vector<Entry*> owned_;
};

// The names from the coldest to the hottest.
std::vector<std::string> coldest_first(const Lru& lru) {
  std::vector<std::string> names;
  for (Entry* node = lru.coldest(); node != nullptr; node = node->lru_prev()) {
    names.emplace_back(node->name());
  }
  return names;
}

TEST(LruTest, LinksAtTheHeadAndEvictsFromTheTail) {
  Entries entries;
  Lru lru;
  EXPECT_EQ(lru.coldest(), nullptr);
  Entry* a = entries.valued("a");
  Entry* b = entries.valued("b");
  Entry* c = entries.valued("c");
  for (Entry* node : {a, b, c}) lru.link(node);
  EXPECT_THAT(coldest_first(lru), ElementsAre("a", "b", "c"));
  EXPECT_EQ(lru.hottest(), c);
  lru.unlink(b);
  EXPECT_THAT(coldest_first(lru), ElementsAre("a", "c"));
  lru.unlink(b);  // not linked: nothing happens
  EXPECT_THAT(coldest_first(lru), ElementsAre("a", "c"));
  lru.unlink(a);
  lru.unlink(c);
  EXPECT_EQ(lru.coldest(), nullptr);
  EXPECT_EQ(lru.hottest(), nullptr);
}

TEST(LruTest, ABumpMovesToTheHeadAndClearsTheReadMark) {
  Entries entries;
  Lru lru;
  Entry* a = entries.valued("a");
  Entry* b = entries.valued("b");
  lru.link(a);
  lru.link(b);
  a->mark_read();  // a read marks, it does not move (the second chance is the evictor's)
  EXPECT_THAT(coldest_first(lru), ElementsAre("a", "b"));
  EXPECT_TRUE(a->referenced());
  lru.bump(a);
  EXPECT_THAT(coldest_first(lru), ElementsAre("b", "a"));
  EXPECT_FALSE(a->referenced());
  lru.bump(a);  // already the hottest
  EXPECT_THAT(coldest_first(lru), ElementsAre("b", "a"));
}

TEST(LruTest, ARelocatedNodeKeepsItsPlace) {
  Entries entries;
  Lru lru;
  Entry* a = entries.valued("a");
  Entry* b = entries.valued("b");
  Entry* c = entries.valued("c");
  for (Entry* node : {a, b, c}) lru.link(node);
  for (Entry* from : {b, a, c}) {  // the middle, the tail, the head
    Entry* to = entries.keep(Entry::copy(from, 64, false, true));
    lru.moved(from, to);
  }
  EXPECT_THAT(coldest_first(lru), ElementsAre("a", "b", "c"));
  EXPECT_NE(lru.coldest(), a);
  EXPECT_NE(lru.hottest(), c);
  EXPECT_EQ(lru.coldest()->lru_prev()->lru_next(), lru.coldest());
}

TEST(DeadlinesTest, DueNodesComeSoonestFirstWithTheirDeadlineCleared) {
  Entries entries;
  Deadlines deadlines;
  Entry* a = entries.valued("a");
  Entry* b = entries.valued("b");
  Entry* c = entries.valued("c");
  deadlines.set(a, 30);
  deadlines.set(b, 10);
  deadlines.set(c, 20);
  EXPECT_EQ(deadlines.pop_due(9), nullptr);
  EXPECT_EQ(deadlines.pop_due(20), b);
  EXPECT_EQ(b->exptime(), 0);
  EXPECT_EQ(deadlines.pop_due(20), c);
  EXPECT_EQ(deadlines.pop_due(20), nullptr);
  EXPECT_EQ(deadlines.size(), 1u);
  EXPECT_EQ(a->exptime(), 30);
}

TEST(DeadlinesTest, ANewDeadlineReplacesTheOldAndZeroRemovesIt) {
  Entries entries;
  Deadlines deadlines;
  Entry* a = entries.valued("a");
  Entry* b = entries.valued("b");
  deadlines.set(a, 10);
  deadlines.set(a, 50);
  deadlines.set(b, 20);
  deadlines.set(b, 0);
  EXPECT_EQ(deadlines.size(), 1u);
  EXPECT_EQ(deadlines.pop_due(40), nullptr);
  EXPECT_EQ(deadlines.pop_due(50), a);
}

TEST(DeadlinesTest, MovedAndForgottenNodes) {
  Entries entries;
  Deadlines deadlines;
  Entry* a = entries.valued("a");
  Entry* b = entries.valued("b");
  deadlines.set(a, 10);
  deadlines.set(b, 20);
  Entry* moved = entries.keep(Entry::copy(a, 64, false, true));  // keeps the deadline
  deadlines.moved(a, moved);
  deadlines.forget(b);
  EXPECT_EQ(b->exptime(), 20);  // forgotten by the index, not by the node
  EXPECT_EQ(deadlines.size(), 1u);
  EXPECT_EQ(deadlines.pop_due(100), moved);
  EXPECT_EQ(deadlines.pop_due(100), nullptr);
}

// A detached subtree: root -> only (a sole child) -> a table of `wide` children.
Entry* subtree(int wide) {
  Entry* root = Entry::create("root", 0, true, false, 1);
  Entry* only = Entry::create("only", 0, true, false, 2);
  root->set_sole_child(only);
  only->hang_under(root);
  Kids* kids = Kids::create(only);
  for (int i = 0; i < wide; ++i) {
    Entry* child = Entry::create("c" + std::to_string(i), 0, false, true, 3);
    kids = Kids::insert(kids, child);
  }
  only->set_kids(kids);
  kids->for_each([kids](Entry* child) { child->hang_in(kids); });
  return root;
}

TEST(GraveyardTest, ChildrenGoBeforeTheirParentInBoundedBatches) {
  Graveyard graveyard;
  EXPECT_TRUE(graveyard.empty());
  graveyard.bury(subtree(40));
  std::vector<std::string> retired;
  Released released;
  auto retire = [&](Entry* node) {
    retired.emplace_back(node->name());
    EXPECT_FALSE(node->has_children());
    if (Kids* kids = node->kids()) released.add(kids);
    released.add(node);
  };
  int passes = 0;
  while (graveyard.drain(7, retire)) {
    ++passes;
    ASSERT_LT(passes, 100);
  }
  // 42 nodes, each taken out of its parent and retired: about 2 * 42 / 7 passes.
  EXPECT_GE(passes, 10);
  EXPECT_TRUE(graveyard.empty());
  ASSERT_EQ(retired.size(), 42u);
  EXPECT_EQ(retired[40], "only");
  EXPECT_EQ(retired[41], "root");
  released.free_all();  // ASan checks that each allocation is freed once
  released.free_all();
}

TEST(GraveyardTest, ReleasedFreesWhatItHoldsWhenItGoes) {
  Graveyard graveyard;
  graveyard.bury(subtree(3));
  {
    Released released;
    EXPECT_FALSE(graveyard.drain(100, [&](Entry* node) {
      if (Kids* kids = node->kids()) released.add(kids);
      released.add(node);
    }));
  }  // freed here (a leak shows under ASan)
  EXPECT_TRUE(graveyard.empty());
}

}  // namespace
}  // namespace nestcache
