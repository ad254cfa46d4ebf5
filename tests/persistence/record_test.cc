// Records and frames: every kind round trips, the limits hold, and every malformed input is an
// error, never a crash or an allocation of what a length field claims.
#include "nestcache/persistence/record.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "journal_test_support.h"
#include "nestcache/persistence/frame.h"
#include "persistence/byte_order.h"

namespace nestcache::persistence {
namespace {

using testing::make_record;
using testing::OwnedRecord;

std::string encode(const Record& r) {
  std::string out;
  encode_record(r, out);
  return out;
}

void expect_round_trip(const Record& r) {
  ASSERT_EQ(check_record(r, {}), RecordError::none);
  const std::string bytes = encode(r);
  EXPECT_EQ(bytes.size(), encoded_size(r));
  const DecodedRecord d = decode_record(bytes);
  ASSERT_EQ(d.error, RecordError::none) << to_string(d.error) << " at " << d.error_at;
  EXPECT_EQ(d.record, r);
  // Framed, too.
  std::string framed;
  append_frame(r, framed);
  EXPECT_EQ(framed.size(), framed_size(r));
  EXPECT_EQ(framed.size() % kFrameAlignment, 0u);
  const Frame f = read_frame(framed, max_body_size({}));
  ASSERT_EQ(f.status, FrameStatus::ok);
  EXPECT_EQ(f.size, framed.size());
  EXPECT_EQ(decode_record(f.body).record, r);
}

TEST(RecordTest, EveryKindRoundTrips) {
  for (uint64_t i = 0; i < 50; ++i) {
    const OwnedRecord o = make_record(i);
    SCOPED_TRACE(i);
    expect_round_trip(o.record);
  }
}

TEST(RecordTest, EdgeValuesRoundTrip) {
  OwnedRecord o = make_record(0);
  o.data.clear();  // an empty value
  o.record.revision = UINT64_MAX;
  o.record.flags = UINT32_MAX;
  o.record.exptime = INT64_MIN;
  o.rebind();
  expect_round_trip(o.record);

  o.segments.assign(kMaxDepthLimit, std::string(250, 'x'));  // max depth, 250-byte segments
  o.data = std::string(1000, '\0');
  o.rebind();
  expect_round_trip(o.record);

  Record flush;
  flush.kind = RecordKind::flush;
  flush.flush_at = -5;
  expect_round_trip(flush);
  Record limit;
  limit.kind = RecordKind::memory_limit;
  limit.memory_limit = UINT64_MAX;
  expect_round_trip(limit);
  Record pending;
  pending.kind = RecordKind::flush_pending;
  pending.flush_at = 1700000000;
  expect_round_trip(pending);
}

TEST(RecordTest, CheckRefusesWhatCannotBeReadBack) {
  OwnedRecord o = make_record(0);
  o.segments.assign(256, "a");
  o.rebind();
  EXPECT_EQ(check_record(o.record, {}), RecordError::path_too_deep);
  o.segments = {std::string(251, 'a')};
  o.rebind();
  EXPECT_EQ(check_record(o.record, {}), RecordError::bad_segment);
  o.segments = {""};
  o.rebind();
  EXPECT_EQ(check_record(o.record, {}), RecordError::bad_segment);
  o.segments.clear();
  o.rebind();
  EXPECT_EQ(check_record(o.record, {}), RecordError::empty_path);
  o.segments = {"a"};
  o.data = std::string(11, 'v');
  o.rebind();
  RecordLimits small;
  small.max_value = 10;
  EXPECT_EQ(check_record(o.record, small), RecordError::value_too_large);
}

TEST(RecordTest, EveryTruncationIsAnError) {
  for (uint64_t i = 0; i < 14; ++i) {
    const std::string bytes = encode(make_record(i).record);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      const DecodedRecord d = decode_record(std::string_view(bytes).substr(0, n));
      EXPECT_NE(d.error, RecordError::none) << i << " cut at " << n;
      EXPECT_LE(d.error_at, n);
    }
    EXPECT_EQ(decode_record(bytes + "x").error, RecordError::trailing_bytes);
  }
}

TEST(RecordTest, LengthFieldsAreCheckedBeforeUse) {
  OwnedRecord o = make_record(0);
  o.data = "abc";
  o.rebind();
  std::string bytes = encode(o.record);
  // The value length is the 4 bytes before the value: claim 4 GiB - 1 with 3 bytes present.
  store_le<uint32_t>(UINT32_MAX, bytes.data() + bytes.size() - 3 - 4);
  EXPECT_EQ(decode_record(bytes).error, RecordError::value_too_large);
  RecordLimits big;
  big.max_value = UINT32_MAX;
  EXPECT_EQ(decode_record(bytes, big).error, RecordError::truncated);

  // Depth 255 claimed with a few bytes present.
  std::string deep = encode(o.record);
  deep[1 + 8 + 4 + 8] = static_cast<char>(255);
  EXPECT_EQ(decode_record(deep).error, RecordError::truncated);
  RecordLimits shallow;
  shallow.max_depth = 4;
  EXPECT_EQ(decode_record(deep, shallow).error, RecordError::path_too_deep);

  // A segment length of 0, and one over the limit.
  std::string seg = encode(o.record);
  seg[1 + 8 + 4 + 8 + 1] = 0;
  EXPECT_EQ(decode_record(seg).error, RecordError::bad_segment);
  seg[1 + 8 + 4 + 8 + 1] = static_cast<char>(251);
  EXPECT_EQ(decode_record(seg).error, RecordError::bad_segment);

  std::string kind = encode(o.record);
  for (int k : {0, 9, 255}) {
    kind[0] = static_cast<char>(k);
    EXPECT_EQ(decode_record(kind).error, RecordError::bad_kind);
  }
}

TEST(RecordFrameTest, BadFramesAreTold) {
  std::string framed;
  append_frame(make_record(3).record, framed);
  const std::size_t max = max_body_size({});
  EXPECT_EQ(read_frame(std::string(8, '\0'), max).status, FrameStatus::zero);
  EXPECT_EQ(read_frame("", max).status, FrameStatus::zero);
  EXPECT_EQ(read_frame(std::string_view(framed).substr(0, 5), max).status,
            FrameStatus::short_frame);
  for (std::size_t n = 8; n < framed.size() - 7; ++n) {
    const FrameStatus s = read_frame(std::string_view(framed).substr(0, n), max).status;
    EXPECT_EQ(s, FrameStatus::short_frame) << n;
  }
  std::string flipped = framed;
  flipped[12] ^= 1;
  EXPECT_EQ(read_frame(flipped, max).status, FrameStatus::bad_crc);
  std::string zero_length = framed;
  store_le<uint32_t>(0, zero_length.data());
  EXPECT_EQ(read_frame(zero_length, max).status, FrameStatus::bad_length);
  std::string huge = framed;
  store_le<uint32_t>(UINT32_MAX, huge.data());
  EXPECT_EQ(read_frame(huge, max).status, FrameStatus::bad_length);
}

}  // namespace
}  // namespace nestcache::persistence
