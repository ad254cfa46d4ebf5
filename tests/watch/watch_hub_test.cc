// Subtree watches (watch_hub.h): what each watch is sent, in which order, and how a watch ends.
#include "nestcache/watch/watch_hub.h"

#include <atomic>
#include <random>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tree_fixture.h"
#include "watch/watch_event.h"
#include "watch_test_support.h"

namespace nestcache {
namespace {

using ::testing::ElementsAre;

class WatchHubTest : public TreeFixture {
 protected:
  explicit WatchHubTest(WatchOptions options = {}) : hub_(tree_, clock_, options) {}

  std::shared_ptr<Watch> open(const Path& path, uint64_t from = 0) {
    WatchHub::Opened opened = hub_.open(path, from);
    EXPECT_EQ(opened.status, WatchHub::Opened::Status::watching);
    return opened.watch;
  }

  WatchHub hub_;
};

TEST_F(WatchHubTest, ASubtreesChangesComeInOrderEachWithItsRevisionAndFullValue) {
  put({"billing", "prod", "db"}, "old");
  auto watch = open({"billing"});
  const uint64_t set = put_until({"billing", "prod", "db"}, "new", kStart + 60, 3);
  put({"other", "x"}, "not ours");
  ASSERT_EQ(tree_.touch({"billing", "prod", "db"}, kStart + 100), Status::touched);
  ASSERT_EQ(tree_.remove({"billing", "prod"}), Status::deleted);
  tree_.flush(0);
  const std::string r = std::to_string(set);
  EXPECT_EQ(take_all(*watch), "SET " + r + " billing prod db 3 " + std::to_string(kStart + 60) +
                                  " 3\r\nnew\r\n" + "TOUCH " + std::to_string(set + 2) +
                                  " billing prod db " + std::to_string(kStart + 100) + "\r\n" +
                                  "DELETE " + std::to_string(set + 3) + " billing prod\r\n" +
                                  "FLUSH " + std::to_string(set + 4) + "\r\n");
}

TEST_F(WatchHubTest, ANodeRemovedWithAnAncestorIsReportedToAWatchBelowIt) {
  put({"a", "b", "c", "d"}, "1");
  auto below = open({"a", "b", "c"});
  auto beside = open({"a", "x"});
  clock_.set(kStart);
  ASSERT_EQ(tree_.touch({"a"}, kStart + 5), Status::touched);
  at(6);
  EXPECT_FALSE(has({"a", "b", "c", "d"}));  // expired with "a"
  const auto events = parse_events(take_all(*below));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].word, "EXPIRE");
  EXPECT_THAT(events[0].path, ElementsAre("a"));
  EXPECT_EQ(parse_events(take_all(*beside)).size(), 1u);  // "a x" went too
}

TEST_F(WatchHubTest, ATouchOrAValueOfAnAncestorIsNotAChangeBelowIt) {
  put({"a", "b"}, "1");
  auto watch = open({"a", "b"});
  put({"a"}, "own value");
  ASSERT_EQ(tree_.touch({"a"}, kStart + 100), Status::touched);
  EXPECT_EQ(take_all(*watch), "");
}

TEST_F(WatchHubTest, AGraftReachesTheWatchesOfItsTargetItsStagedSiblingAndAbove) {
  put({"cfg", "app", "old"}, "1");
  auto above = open({"cfg"});
  auto target = open({"cfg", "app"});
  auto below = open({"cfg", "app", "old"});
  const std::string staged = tree_.stage_name({"cfg", "app"}, '\0');
  auto in_staged = open({"cfg", staged});
  put({"cfg", staged, "new"}, "2");
  ASSERT_EQ(tree_.graft({"cfg", "app"}, staged, kStart + 50), Status::stored);
  Mirror mirror = {{{"cfg", "app", "old"}, {"1", 0, 0}}};
  for (const StreamEvent& event : parse_events(take_all(*above))) apply(mirror, event);
  EXPECT_EQ(mirror, mirror_of(tree_, {"cfg"}));
  ASSERT_TRUE(has({"cfg", "app", "new"}));
  for (auto* watch : {target.get(), below.get(), in_staged.get()}) {
    const auto events = parse_events(take_all(*watch));
    ASSERT_FALSE(events.empty());
    EXPECT_EQ(events.back().word, "GRAFT");
    EXPECT_THAT(events.back().path, ElementsAre("cfg", "app"));
    EXPECT_EQ(events.back().staged, staged);
  }
}

TEST_F(WatchHubTest, ResumeReadsTheHistoryAfterTheRevisionThenGoesLive) {
  auto first = open({});  // attaches the hub
  const uint64_t one = put({"ns", "a"}, "1");
  put({"ns", "b"}, "2");
  put({"elsewhere"}, "x");
  auto resumed = open({"ns"}, one);
  const uint64_t three = put({"ns", "c"}, "3");
  const auto events = parse_events(take_all(*resumed));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[0].path, ElementsAre("ns", "b"));
  EXPECT_THAT(events[1].path, ElementsAre("ns", "c"));
  EXPECT_EQ(events[1].revision, three);
  EXPECT_EQ(parse_events(take_all(*first)).size(), 4u);
}

TEST_F(WatchHubTest, ARevisionNotYetTakenIsRefusedAsTheFuture) {
  auto first = open({});
  const uint64_t last = put({"a"}, "1");
  const WatchHub::Opened opened = hub_.open({"a"}, last + 1);
  EXPECT_EQ(opened.status, WatchHub::Opened::Status::future);
  EXPECT_EQ(opened.revision, last);
}

TEST_F(WatchHubTest, BeforeTheFirstWatchNothingIsKeptSoAnEarlierRevisionIsCompacted) {
  const uint64_t one = put({"a"}, "1");
  put({"a"}, "2");
  const WatchHub::Opened opened = hub_.open({"a"}, one);
  EXPECT_EQ(opened.status, WatchHub::Opened::Status::compacted);
  // The history starts where the hub attached: above every revision of an earlier run of the
  // server (the wall clock in microseconds), so that a resume from one of those is compacted.
  EXPECT_GT(opened.revision, uint64_t{1700000000} * 1000000);
  EXPECT_EQ(hub_.stats().history_floor, opened.revision);
  EXPECT_EQ(hub_.stats().compacted, 1u);
  EXPECT_EQ(hub_.open({"a"}, opened.revision).status, WatchHub::Opened::Status::watching);
  EXPECT_EQ(put({"a"}, "3"), opened.revision + 1);
}

TEST_F(WatchHubTest, ARefusedIncrUsesUpARevisionWithoutStallingTheStream) {
  auto watch = open({});
  const uint64_t cas = put({"n"}, "not a number");
  UpdatePolicy policy;
  policy.unique_on_hit = true;
  tree_.update({"n"}, policy, [](const ValueView*) -> const NewValue* { return nullptr; });
  const uint64_t after = put({"m"}, "1");
  EXPECT_EQ(after, cas + 2);
  const auto events = parse_events(take_all(*watch));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].revision, after);
}

class SmallHistoryTest : public WatchHubTest {
 protected:
  // About four events' worth.
  SmallHistoryTest() : WatchHubTest(WatchOptions{4 * (sizeof(WatchEvent) + 64), 1 << 20, 10}) {}
};

TEST_F(SmallHistoryTest, AResumeExactlyAtTheFloorLosesNothingAndOneBelowIsCompacted) {
  auto live = open({});
  std::vector<uint64_t> revisions;
  for (int i = 0; i < 12; ++i) revisions.push_back(put({"k" + std::to_string(i)}, "v"));
  // The oldest held event is a delete.
  const uint64_t floor = hub_.stats().history_floor;
  ASSERT_GT(floor, revisions.front());
  auto at_floor = open({}, floor);
  const auto events = parse_events(take_all(*at_floor));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().revision, floor + 1);
  EXPECT_EQ(events.back().revision, revisions.back());
  EXPECT_EQ(hub_.open({}, floor - 1).status, WatchHub::Opened::Status::compacted);
  EXPECT_EQ(parse_events(take_all(*live)).size(), 12u);  // a live watch does not need history
}

TEST_F(SmallHistoryTest, ADeleteAtTheOldestHeldRevisionIsSentToAResume) {
  auto live = open({});
  put({"ns", "a"}, "1");
  const uint64_t before = put({"ns", "b"}, "2");
  ASSERT_EQ(tree_.remove({"ns"}), Status::deleted);
  for (int i = 0; i < 20 && hub_.stats().history_floor < before; ++i) {
    put({"x" + std::to_string(i)}, "v");
  }
  ASSERT_EQ(hub_.stats().history_floor, before) << "the delete is the oldest event held";
  const auto events = parse_events(take_all(*open({"ns"}, before)));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].word, "DELETE");
  EXPECT_EQ(events[0].revision, before + 1);
}

TEST_F(SmallHistoryTest, AResumeOverTakenByCompactionWhileCatchingUpEndsWithCompacted) {
  auto live = open({});
  const uint64_t from = put({"a"}, "1");
  put({"b"}, "2");
  auto resumed = open({}, from);
  // Before it reads anything, the history moves past it.
  for (int i = 0; i < 10; ++i) put({"c" + std::to_string(i)}, "v");
  Watch::Step step;
  const std::string out = take_all(*resumed, &step);
  EXPECT_EQ(step, Watch::Step::ended);
  EXPECT_EQ(out, "COMPACTED " + std::to_string(hub_.stats().history_floor) + "\r\n");
}

class TinyQueueTest : public WatchHubTest {
 protected:
  TinyQueueTest() : WatchHubTest(WatchOptions{64 << 20, 100, 10}) {}
};

TEST_F(TinyQueueTest, AWatchThatIsNotReadEndsWithCanceledAtTheLastRevisionItTook) {
  auto slow = open({"ns"});
  auto other = open({"elsewhere"});
  const uint64_t taken = put({"ns", "a"}, "1");
  EXPECT_EQ(parse_events(take_all(*slow)).size(), 1u);
  for (int i = 0; i < 10; ++i) put({"ns", "k"}, std::string(20, 'x'));  // past 100 bytes
  put({"elsewhere"}, "still served");
  Watch::Step step;
  EXPECT_EQ(take_all(*slow, &step), "CANCELED " + std::to_string(taken) + " slow consumer\r\n");
  EXPECT_EQ(step, Watch::Step::ended);
  EXPECT_EQ(hub_.stats().canceled_slow, 1u);
  EXPECT_EQ(parse_events(take_all(*other)).size(), 1u);
  // Resumed from where it was told, it misses nothing.
  const auto events = parse_events(take_all(*open({"ns"}, taken)));
  EXPECT_EQ(events.size(), 10u);
}

TEST_F(WatchHubTest, AnIdleWatchIsSentProgressAfterTheInterval) {
  auto watch = open({"quiet"});
  put({"busy"}, "1");
  std::atomic<int> wakes{0};
  watch->set_waker([&] { ++wakes; });
  hub_.tick();
  EXPECT_EQ(wakes.load(), 0);
  at(10);
  hub_.tick();
  EXPECT_EQ(wakes.load(), 1);
  EXPECT_EQ(take_all(*watch), "PROGRESS " + std::to_string(tree_.last_cas()) + "\r\n");
}

TEST_F(WatchHubTest, AClosedWatchIsForgotten) {
  auto watch = open({"a"});
  EXPECT_EQ(hub_.stats().watchers, 1u);
  watch->close();
  watch->close();
  EXPECT_EQ(hub_.stats().watchers, 0u);
  put({"a"}, "1");
  EXPECT_EQ(take_all(*watch), "");
}

// Writers on several threads: each change reaches a watch of the whole tree once, and in
// increasing revision order although they arrive out of it.
TEST_F(WatchHubTest, ChangesFromManyThreadsComeExactlyOnceInRevisionOrder) {
  auto watch = open({});
  constexpr int kThreads = 4, kEach = 3000;
  std::vector<std::thread> writers;
  std::vector<std::vector<uint64_t>> taken(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string ns = "ns" + std::to_string((t * kEach + i) % 37);
        taken[t].push_back(set_value(tree_, {ns, std::to_string(t)}, "v").cas);
      }
    });
  }
  std::string stream;
  while (stream.size() < 1) stream += take_all(*watch);  // read while they write
  for (auto& writer : writers) writer.join();
  stream += take_all(*watch);
  const auto events = parse_events(stream);
  ASSERT_EQ(events.size(), std::size_t{kThreads * kEach});
  for (std::size_t i = 1; i < events.size(); ++i) {
    ASSERT_EQ(events[i].revision, events[i - 1].revision + 1) << i;
  }
}

// The model: random changes of every kind from several threads while watches of random
// subtrees read at their own pace, some slowly enough to be canceled, and resume where they were
// told. Each watch's mirror, replayed from its events, must equal its subtree at the end.
class WatchModelTest : public WatchHubTest {
 protected:
  WatchModelTest() : WatchHubTest(WatchOptions{64 << 20, 2048, 10}) {}
};

TEST_F(WatchModelTest, EveryWatchMirrorsItsSubtreeExactlyThroughCancelsAndResumes) {
  tree_.set_memory_limit(48 << 10);  // small: evictions happen
  struct Reader {
    std::vector<std::string> root;
    std::shared_ptr<Watch> watch;
    Mirror mirror;
    uint64_t last = 0;
    int resumes = 0;
  };
  const std::vector<std::vector<std::string>> roots = {
      {}, {"t0"}, {"t1"}, {"t0", "u1"}, {"t2", "u0", "f1"}, {"t3"}, {"t1", "u2"}};
  std::vector<Reader> readers;
  for (const auto& root : roots) {
    Reader reader;
    reader.root = root;
    reader.watch = open(Path(root.begin(), root.end()));
    readers.push_back(std::move(reader));
  }
  auto drain = [&](Reader& reader) {
    Watch::Step step;
    const std::string out = take_all(*reader.watch, &step);
    for (const StreamEvent& event : parse_events(out)) {
      if (event.word == "CANCELED") {
        ++reader.resumes;
        EXPECT_GE(event.revision, reader.last);
        reader.watch = open(Path(reader.root.begin(), reader.root.end()), event.revision);
        continue;
      }
      ASSERT_GT(event.revision, reader.last) << "in order, once";
      reader.last = event.revision;
      apply(reader.mirror, event);
    }
  };
  constexpr int kThreads = 3, kSteps = 4000;
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      std::mt19937 random(1234 + t);
      auto pick = [&](int n) { return static_cast<int>(random() % n); };
      for (int i = 0; i < kSteps; ++i) {
        Path path;
        std::vector<std::string> names;
        const int depth = 1 + pick(3);
        names.push_back("t" + std::to_string(pick(4)));
        if (depth > 1) names.push_back("u" + std::to_string(pick(3)));
        if (depth > 2) names.push_back("f" + std::to_string(pick(3)));
        path.assign(names.begin(), names.end());
        switch (pick(10)) {
          case 0:
            tree_.remove(path);
            break;
          case 1:
            tree_.touch(path, pick(2) == 0 ? 0 : kStart + 1 + pick(3));
            break;
          case 2:
            tree_.remove_value(path);
            break;
          case 3:
            if (pick(50) == 0) tree_.flush(0);
            break;
          case 4: {
            UpdatePolicy policy;
            policy.unique_on_hit = true;  // an incr of something not a number, at times
            tree_.update(path, policy, [](const ValueView*) -> const NewValue* { return nullptr; });
            break;
          }
          default:
            set_value(tree_, path, std::string(static_cast<std::size_t>(pick(3000)), 'a' + t),
                      static_cast<uint32_t>(pick(5)), pick(4) == 0 ? kStart + 1 + pick(3) : 0);
        }
      }
    });
  }
  std::thread clock_mover([&] {
    for (int s = 1; !done.load(); ++s) {
      clock_.set(kStart + s % 5);  // deadlines pass (and the clock steps back: still fine)
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      collect_all(tree_);
    }
  });
  std::mt19937 pace(99);
  for (int round = 0; round < 400; ++round) {
    // Readers 0 and 5 read rarely: they overflow and are canceled.
    for (std::size_t r = 0; r < readers.size(); ++r) {
      if ((r == 0 || r == 5) && pace() % 8 != 0) continue;
      drain(readers[r]);
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  for (auto& writer : writers) writer.join();
  done = true;
  clock_mover.join();
  collect_all(tree_);
  int resumes = 0;
  for (Reader& reader : readers) {
    drain(reader);
    drain(reader);  // a resume may need a second round
    resumes += reader.resumes;
    EXPECT_EQ(reader.mirror, mirror_of(tree_, reader.root))
        << "watch of " << reader.root.size() << " at " << reader.last << " of " << tree_.last_cas()
        << ", resumed " << reader.resumes << " times";
  }
  EXPECT_GT(resumes, 0) << "the slow readers were canceled and resumed";
  EXPECT_GT(tree_.stats().evictions, 0u);
}

}  // namespace
}  // namespace nestcache
