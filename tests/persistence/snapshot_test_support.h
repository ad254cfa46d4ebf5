// Helpers for the snapshot tests: store records that own their bytes, writing a snapshot of
// them, and reading one back into copies.
#pragma once

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "journal_test_support.h"
#include "nestcache/persistence/snapshot.h"

namespace nestcache::persistence::testing {

inline OwnedRecord store(uint64_t revision, std::vector<std::string> segments, std::string data,
                         uint32_t flags = 0, int64_t exptime = 0) {
  OwnedRecord o;
  o.segments = std::move(segments);
  o.data = std::move(data);
  o.record.kind = RecordKind::store;
  o.record.revision = revision;
  o.record.flags = flags;
  o.record.exptime = exptime;
  o.rebind();
  return o;
}

// Writes a snapshot of `values` at `revision` into `dir`; returns its path.
inline std::string write_snapshot(const std::string& dir, uint64_t revision,
                                  const std::vector<OwnedRecord>& values,
                                  SnapshotWriterOptions options = {}) {
  SnapshotWriter writer(options);
  EXPECT_TRUE(writer.open(dir, revision, 1'700'000'123).ok());
  for (const OwnedRecord& v : values) {
    const JournalError e = writer.add(v.record);
    EXPECT_TRUE(e.ok()) << e.message();
  }
  const JournalError e = writer.finish();
  EXPECT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(writer.records(), values.size());
  return writer.path();
}

struct Loaded {
  SnapshotReport report;
  std::vector<OwnedRecord> records;
};

inline Loaded load(const std::string& path, std::size_t buffer_size = kSnapshotReadBuffer,
                   const RecordLimits& limits = {}) {
  Loaded out;
  out.report = read_snapshot(
      path, limits, [&](const Record& r) { out.records.emplace_back(r); }, buffer_size);
  return out;
}

}  // namespace nestcache::persistence::testing
