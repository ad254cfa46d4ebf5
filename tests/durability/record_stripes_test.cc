// RecordStripes: the records of a stripe leave in the order they came, a move takes only the
// stripes that have records, and a stripe reports itself full at its share of the segment.
#include "nestcache/durability/record_stripes.h"

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "nestcache/persistence/frame.h"
#include "nestcache/persistence/record.h"

namespace nestcache {
namespace {

using persistence::Record;
using persistence::RecordKind;

Record store(const Path& path, uint64_t revision, std::string_view data) {
  Record r;
  r.kind = RecordKind::store;
  r.revision = revision;
  r.path = path;
  r.data = data;
  return r;
}

// What a move handed over, one entry per stripe moved.
struct Moved {
  std::string framed;
  uint64_t records = 0;
  uint64_t max_revision = 0;
};

std::vector<Moved> move_all(RecordStripes& stripes) {
  std::vector<Moved> out;
  stripes.move_all([&](std::string_view framed, uint64_t records, uint64_t max_revision) {
    out.push_back({std::string(framed), records, max_revision});
  });
  return out;
}

// The revisions of the framed records in `bytes`, in order.
std::vector<uint64_t> revisions(std::string_view bytes) {
  std::vector<uint64_t> out;
  while (!bytes.empty()) {
    const persistence::Frame frame = persistence::read_frame(bytes, 1 << 20);
    EXPECT_EQ(frame.status, persistence::FrameStatus::ok);
    if (frame.status != persistence::FrameStatus::ok) break;
    const persistence::DecodedRecord decoded = persistence::decode_record(frame.body);
    EXPECT_EQ(decoded.error, persistence::RecordError::none);
    out.push_back(decoded.record.revision);
    bytes.remove_prefix(frame.size);
  }
  return out;
}

TEST(RecordStripesTest, AStripesRecordsLeaveInOrderAndOnlyFilledStripesMove) {
  RecordStripes stripes(uint64_t{64} << 20);
  const Path a{"a", "x"};
  const Path b{"b"};
  EXPECT_FALSE(stripes.append(3, store(a, 7, "1")));
  EXPECT_FALSE(stripes.append(3, store(a, 5, "2")));  // revisions need not rise
  EXPECT_FALSE(stripes.append(9, store(b, 6, "3")));
  EXPECT_FALSE(stripes.append(3, store(a, 8, "4")));
  EXPECT_EQ(stripes.waiting_records(), 4u);
  const std::vector<Moved> moved = move_all(stripes);
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(moved[0].records, 3u);
  EXPECT_EQ(moved[0].max_revision, 8u);
  EXPECT_EQ(revisions(moved[0].framed), (std::vector<uint64_t>{7, 5, 8}));
  EXPECT_EQ(moved[1].records, 1u);
  EXPECT_EQ(revisions(moved[1].framed), (std::vector<uint64_t>{6}));
  EXPECT_EQ(stripes.waiting_records(), 0u);
  EXPECT_TRUE(move_all(stripes).empty());
}

TEST(RecordStripesTest, AStripeIsFullAtItsShareOfTheSegment) {
  // 256 KiB segments: the stripes may hold an eighth of it, 512 bytes each.
  RecordStripes stripes(256 << 10);
  EXPECT_EQ(stripes.capacity(), 32u << 10);
  const std::string value(100, 'v');
  int appended = 0;
  while (!stripes.append(0, store({"k"}, 1, value))) ++appended;
  EXPECT_EQ(appended, 3);  // four frames of 136 bytes reach 512
  // Large segments: 16 KiB a stripe at most.
  EXPECT_EQ(RecordStripes(uint64_t{1} << 30).capacity(),
            RecordStripes::kStripes * RecordStripes::kMaxFullBytes);
}

TEST(RecordStripesTest, ConcurrentAppendsAndMovesLoseNothing) {
  RecordStripes stripes(uint64_t{64} << 20);
  constexpr int kPerThread = 20000;
  std::vector<std::thread> writers;
  for (int t = 0; t < 2; ++t) {
    writers.emplace_back([&stripes, t] {
      for (int i = 0; i < kPerThread; ++i) {
        // Each thread its own stripes: revisions must come out rising within each.
        const std::size_t stripe = static_cast<std::size_t>(t * 32 + i % 32);
        (void)stripes.append(stripe, store({"k"}, static_cast<uint64_t>(i + 1), "v"));
      }
    });
  }
  std::vector<std::vector<uint64_t>> seen(RecordStripes::kStripes);
  uint64_t records = 0;
  auto take = [&] {
    for (std::size_t s = 0; s < RecordStripes::kStripes; ++s) {
      stripes.move(s, [&](std::string_view framed, uint64_t count, uint64_t) {
        records += count;
        for (uint64_t r : revisions(framed)) seen[s].push_back(r);
      });
    }
  };
  while (records < 2 * kPerThread) {
    take();
    if (records < 2 * kPerThread) std::this_thread::yield();
  }
  for (std::thread& w : writers) w.join();
  take();
  EXPECT_EQ(records, 2u * kPerThread);
  for (const std::vector<uint64_t>& s : seen) {
    EXPECT_TRUE(std::is_sorted(s.begin(), s.end()));
  }
}

}  // namespace
}  // namespace nestcache
