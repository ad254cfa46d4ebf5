// The sorted child-name stream (child_names.h) alone: a wide node's hash table scanned a slice
// at a time into names read ahead in order, restarted when the table moved children, finished in
// one go after two restarts; and the top level's names gathered a batch at a time.
#include "tree/child_names.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tree/entry.h"
#include "tree/kids.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;
using Ready = ChildNames::Ready;

// A wide node's children table of `count` children named n00000, n00001, ...
class WideTable {
 public:
  explicit WideTable(int count) : kids_(Kids::create(nullptr, /*big=*/true)) {
    for (int i = 0; i < count; ++i) {
      char name[16];
      std::snprintf(name, sizeof(name), "n%05d", i);
      entries_.push_back(Entry::create(name, 0, false, false, 2));
      kids_ = Kids::insert(kids_, entries_.back());
      names_.emplace_back(name);
    }
  }
  ~WideTable() {
    Kids::destroy(kids_);
    for (Entry* entry : entries_) Entry::destroy(entry);
  }
  const Kids& kids() const { return *kids_; }
  const std::vector<std::string>& names() const { return names_; }

 private:
  Kids* kids_;
  std::vector<Entry*> entries_;
  std::vector<std::string> names_;
};

constexpr int64_t kNow = 1'700'000'000;

TEST(ChildNamesTest, AWideTableComesInOrderASliceAtATime) {
  const WideTable table(40'000);  // 2^16 slots: 8 slices per scan; 3 batches of names
  ASSERT_EQ(table.kids().capacity(), 65'536u);
  ChildNames names;
  names.own(Path{"wide"});
  std::vector<std::string> seen;
  int pauses = 0;
  for (;;) {
    const std::string* after = seen.empty() ? nullptr : &seen.back();
    const Ready ready = names.ready_in_table(table.kids(), after, /*slot_moves=*/0, kNow);
    if (ready == Ready::end) break;
    if (ready == Ready::pause) {
      ++pauses;
      ASSERT_LT(pauses, 1000);
      continue;
    }
    seen.push_back(names.take());
  }
  EXPECT_EQ(seen, table.names());
  EXPECT_EQ(pauses, 3 * 7);  // each of the three scans: 7 slices that end a step, 1 that does not
}

TEST(ChildNamesTest, AScanStartsOverWhenTheTableMovedChildrenAndFinishesAfterTwoRestarts) {
  const WideTable table(20'000);  // 2^15 slots: 4 slices per scan
  ChildNames names;
  names.own(Path{"wide"});
  uint64_t moves = 0;
  // Every slice sees another move count: restarts 1 and 2 pause again, then the scan is whole.
  EXPECT_EQ(names.ready_in_table(table.kids(), nullptr, moves, kNow), Ready::pause);
  EXPECT_EQ(names.ready_in_table(table.kids(), nullptr, ++moves, kNow), Ready::pause);
  EXPECT_EQ(names.ready_in_table(table.kids(), nullptr, ++moves, kNow), Ready::name);
  EXPECT_EQ(names.peek(), "n00000");
}

TEST(ChildNamesTest, ANewOwnerOrAStartAfterTheHeldNamesIsReadAgain) {
  const WideTable table(3'000);  // one slice
  ChildNames names;
  names.own(Path{"a"});
  ASSERT_EQ(names.ready_in_table(table.kids(), nullptr, 0, kNow), Ready::name);
  EXPECT_EQ(names.take(), "n00000");
  const std::string after = "n02997";
  ASSERT_EQ(names.ready_in_table(table.kids(), &after, 0, kNow), Ready::name);
  EXPECT_EQ(names.take(), "n02998");
  EXPECT_EQ(names.take(), "n02999");
  EXPECT_EQ(names.ready_in_table(table.kids(), &after, 0, kNow), Ready::end);
  names.own(Path{"b"});  // another node: from the start again
  ASSERT_EQ(names.ready_in_table(table.kids(), nullptr, 0, kNow), Ready::name);
  EXPECT_EQ(names.peek(), "n00000");
  names.own(Path{"b"});  // the same node: where it was
  EXPECT_EQ(names.peek(), "n00000");
}

TEST(ChildNamesTest, GatheredNamesAreReadAheadABatchAtATime) {
  // A top level of names t00000...: gather gives `limit` names from `start` on.
  std::vector<std::string> all;
  for (int i = 0; i < 20'000; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "t%05d", i);
    all.emplace_back(name);
  }
  std::vector<std::string> starts;
  auto gather = [&](const std::string* start, bool inclusive, std::size_t limit) {
    starts.push_back(start == nullptr ? "-" : (inclusive ? "[" : "(") + *start);
    auto from = start == nullptr ? all.begin()
                : inclusive      ? std::lower_bound(all.begin(), all.end(), *start)
                                 : std::upper_bound(all.begin(), all.end(), *start);
    std::vector<std::string> out(from, from + std::min<std::size_t>(limit, all.end() - from));
    return out;
  };
  ChildNames names;
  const std::string resume = "t00100";
  ASSERT_EQ(names.ready_from(&resume, /*inclusive=*/true, gather), Ready::name);
  EXPECT_EQ(names.peek(), "t00100");
  std::size_t count = 0;
  while (names.ready_from(&resume, true, gather) == Ready::name) {
    names.skip();
    ++count;
  }
  EXPECT_EQ(count, 19'900u);
  // A batch from the resume point, then one after the last name held, which is short: the end.
  EXPECT_THAT(starts, ElementsAre("[t00100", "(t16483"));
  EXPECT_FALSE(names.short_and_complete());  // complete, but more than kWide names held
}

}  // namespace
}  // namespace nestcache
