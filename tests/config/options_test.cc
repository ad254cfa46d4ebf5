// The command line and the --config file: parse_options on argv arrays, and parse_size.
#include "nestcache/config/options.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace nestcache {
namespace {

using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

ParsedOptions parse(std::initializer_list<std::string> args) {
  std::vector<std::string> storage = {"nestcached"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& arg : storage) argv.push_back(arg.c_str());
  argv.push_back(nullptr);
  return parse_options(static_cast<int>(storage.size()), argv.data());
}

// Parses and insists that the result is "run with these options".
Options ok(std::initializer_list<std::string> args) {
  const ParsedOptions parsed = parse(args);
  EXPECT_FALSE(parsed.exit_code) << parsed.message;
  return parsed.options;
}

// Parses and insists on a usage error; returns the message.
std::string usage_error(std::initializer_list<std::string> args) {
  const ParsedOptions parsed = parse(args);
  EXPECT_EQ(parsed.exit_code, 64);
  EXPECT_THAT(parsed.message, StartsWith("nestcached: "));
  return parsed.message;
}

// A file that lives as long as the test.
class TempFile {
 public:
  explicit TempFile(const std::string& contents) {
    char name[] = "/tmp/nestcache_options_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    if (fd >= 0) close(fd);
    path_ = name;
    std::ofstream(path_) << contents;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---- defaults ----------------------------------------------------------------------------------

TEST(OptionsTest, Defaults) {
  const Options options = ok({});
  EXPECT_EQ(options.listen, "127.0.0.1");
  EXPECT_EQ(options.port, 11211);
  EXPECT_EQ(options.udp_port, 0);
  EXPECT_EQ(options.threads, 4u);
  EXPECT_EQ(options.max_connections, 1024u);
  EXPECT_EQ(options.idle_timeout, 0u);
  EXPECT_EQ(options.memory_limit_mb, 64u);
  EXPECT_FALSE(options.disable_evictions);
  EXPECT_EQ(options.max_item_size, 1024u * 1024);
  EXPECT_FALSE(options.compat);
  EXPECT_EQ(options.key_separator, '\0');
  EXPECT_FALSE(options.strict_parents);
  EXPECT_EQ(options.max_depth, 32u);
  EXPECT_EQ(options.verbosity, 0);
  EXPECT_EQ(options.pid_file, "");
  EXPECT_EQ(options.config_file, "");
}

// ---- every option, short and long --------------------------------------------------------------

TEST(OptionsTest, ShortOptions) {
  // clang-format off
  const Options options = ok({"-p", "1234", "-l", "0.0.0.0", "-U", "0", "-t", "8", "-c", "100",
                              "-m", "128", "-M", "-I", "2m", "-P", "/tmp/n.pid",
                              "-o", "idle_timeout=30", "-v"});
  // clang-format on
  EXPECT_EQ(options.port, 1234);
  EXPECT_EQ(options.listen, "0.0.0.0");
  EXPECT_EQ(options.udp_port, 0);
  EXPECT_EQ(options.threads, 8u);
  EXPECT_EQ(options.max_connections, 100u);
  EXPECT_EQ(options.memory_limit_mb, 128u);
  EXPECT_TRUE(options.disable_evictions);
  EXPECT_EQ(options.max_item_size, 2u * 1024 * 1024);
  EXPECT_EQ(options.pid_file, "/tmp/n.pid");
  EXPECT_EQ(options.idle_timeout, 30u);
  EXPECT_EQ(options.verbosity, 1);
}

TEST(OptionsTest, ShortOptionsWithAttachedValues) {
  const Options options = ok({"-p1234", "-t2", "-I512k"});
  EXPECT_EQ(options.port, 1234);
  EXPECT_EQ(options.threads, 2u);
  EXPECT_EQ(options.max_item_size, 512u * 1024);
}

TEST(OptionsTest, LongOptions) {
  // clang-format off
  const Options options = ok({"--port", "2345", "--listen", "::1", "--udp-port", "0",
                              "--threads", "3", "--conn-limit", "10", "--memory-limit", "1",
                              "--disable-evictions", "--max-item-size", "4096",
                              "--pidfile", "/tmp/p", "--extended", "idle_timeout=7", "--compat",
                              "--key-separator", ":", "--strict-parents", "--max-depth", "8",
                              "--verbose"});
  // clang-format on
  EXPECT_EQ(options.port, 2345);
  EXPECT_EQ(options.listen, "::1");
  EXPECT_EQ(options.threads, 3u);
  EXPECT_EQ(options.max_connections, 10u);
  EXPECT_EQ(options.memory_limit_mb, 1u);
  EXPECT_TRUE(options.disable_evictions);
  EXPECT_EQ(options.max_item_size, 4096u);
  EXPECT_EQ(options.pid_file, "/tmp/p");
  EXPECT_EQ(options.idle_timeout, 7u);
  EXPECT_TRUE(options.compat);
  EXPECT_EQ(options.key_separator, ':');
  EXPECT_TRUE(options.strict_parents);
  EXPECT_EQ(options.max_depth, 8u);
  EXPECT_EQ(options.verbosity, 1);
}

TEST(OptionsTest, LongOptionsWithEquals) {
  const Options options = ok({"--port=3456", "--key-separator=/", "--verbose=2"});
  EXPECT_EQ(options.port, 3456);
  EXPECT_EQ(options.key_separator, '/');
  EXPECT_EQ(options.verbosity, 2);
}

TEST(OptionsTest, VerbosityCounts) {
  EXPECT_EQ(ok({"-v"}).verbosity, 1);
  EXPECT_EQ(ok({"-vv"}).verbosity, 2);
  EXPECT_EQ(ok({"-vvv"}).verbosity, 3);
  EXPECT_EQ(ok({"-v", "-v"}).verbosity, 2);
  EXPECT_EQ(ok({"-vv", "-p", "1", "-v"}).verbosity, 3);
}

TEST(OptionsTest, VerbosityDoesNotEatOtherOptions) {
  const Options options = ok({"-vv", "-P", "/tmp/v.pid"});
  EXPECT_EQ(options.verbosity, 2);
  EXPECT_EQ(options.pid_file, "/tmp/v.pid");
}

// ---- values and their bounds -------------------------------------------------------------------

TEST(OptionsTest, ItemSizeSpellings) {
  EXPECT_EQ(ok({"-I", "1m"}).max_item_size, 1u << 20);
  EXPECT_EQ(ok({"-I", "1M"}).max_item_size, 1u << 20);
  EXPECT_EQ(ok({"-I", "512k"}).max_item_size, 512u << 10);
  EXPECT_EQ(ok({"-I", "2048"}).max_item_size, 2048u);
  EXPECT_EQ(ok({"-I", "1k"}).max_item_size, 1024u);
  EXPECT_EQ(ok({"-I", "1024m"}).max_item_size, 1u << 30);
  EXPECT_EQ(ok({"-I", "1g"}).max_item_size, 1u << 30);
}

TEST(OptionsTest, BadItemSizes) {
  for (const std::string bad : {"1023", "0", "1025m", "2g", "abc", "1x", "1.5m", "-1m", "m", "1 m",
                                "17179869185g", "99999999999999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(usage_error({"-I", bad}), HasSubstr("-I"));
  }
}

TEST(OptionsTest, UdpPort) {
  EXPECT_EQ(ok({"-U", "0"}).udp_port, 0);
  EXPECT_THAT(usage_error({"-U", "5"}), HasSubstr("-U"));
  EXPECT_THAT(usage_error({"--udp-port", "11211"}), HasSubstr("-U"));
}

TEST(OptionsTest, Threads) {
  EXPECT_EQ(ok({"-t", "1"}).threads, 1u);
  EXPECT_EQ(ok({"-t", "256"}).threads, 256u);
  EXPECT_THAT(usage_error({"-t", "0"}), HasSubstr("-t"));
  EXPECT_THAT(usage_error({"-t", "257"}), HasSubstr("-t"));
}

TEST(OptionsTest, Port) {
  EXPECT_EQ(ok({"-p", "0"}).port, 0);
  EXPECT_EQ(ok({"-p", "65535"}).port, 65535);
  usage_error({"-p", "notanumber"});
  usage_error({"-p", "12x"});
  usage_error({"-p", ""});
  EXPECT_THAT(usage_error({"-p", "65536"}), HasSubstr("-p"));
  usage_error({"-p"});
}

TEST(OptionsTest, ConnectionsAndMemory) {
  EXPECT_EQ(ok({"-c", "1"}).max_connections, 1u);
  EXPECT_EQ(ok({"-m", "1"}).memory_limit_mb, 1u);
  EXPECT_EQ(ok({"-m", "65536"}).memory_limit_mb, 65536u);
  EXPECT_THAT(usage_error({"-c", "0"}), HasSubstr("-c"));
  EXPECT_THAT(usage_error({"-m", "0"}), HasSubstr("-m"));
  usage_error({"-m", "lots"});
  // Larger than a byte count can hold.
  EXPECT_THAT(usage_error({"-m", "17592186044416"}), HasSubstr("-m"));
  usage_error({"-c", "18446744073709551615"});
}

// A negative number is refused, not wrapped into a huge unsigned one.
TEST(OptionsTest, NegativeNumbers) {
  EXPECT_THAT(usage_error({"-c", "-1"}), HasSubstr("-c"));
  EXPECT_THAT(usage_error({"--conn-limit=-1"}), HasSubstr("-c"));
  EXPECT_THAT(usage_error({"--memory-limit=-1"}), HasSubstr("-m"));
  EXPECT_THAT(usage_error({"--threads=-4"}), HasSubstr("-t"));
  EXPECT_THAT(usage_error({"--port=-1"}), HasSubstr("-p"));
  EXPECT_THAT(usage_error({"--udp-port=-1"}), HasSubstr("-U"));
  EXPECT_THAT(usage_error({"--max-depth=-1"}), HasSubstr("--max-depth"));
}

TEST(OptionsTest, KeySeparator) {
  EXPECT_EQ(ok({"--key-separator", ":"}).key_separator, ':');
  EXPECT_EQ(ok({"--key-separator", "."}).key_separator, '.');
  for (const std::string bad : {"::", "ab", " ", "\t", "\x7f", "\x01"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(usage_error({"--key-separator", bad}), HasSubstr("--key-separator"));
  }
}

TEST(OptionsTest, MaxDepthBounds) {
  EXPECT_EQ(ok({"--max-depth", "1"}).max_depth, 1u);
  EXPECT_EQ(ok({"--max-depth", "255"}).max_depth, 255u);
  EXPECT_THAT(usage_error({"--max-depth", "0"}), HasSubstr("--max-depth"));
  EXPECT_THAT(usage_error({"--max-depth", "256"}), HasSubstr("--max-depth"));
  usage_error({"--max-depth", "deep"});
}

// memcached closes a line with no newline after 2048 bytes; a nested-mode line may carry a
// whole --max-depth path, so its default cutoff leaves room for one (line-cutoff transcripts).
TEST(OptionsTest, LineLengthDefaultsFollowTheMode) {
  EXPECT_EQ(ok({"--compat"}).max_line, 2048u);
  EXPECT_EQ(ok({}).max_line, 32u * 251 + 128);
  EXPECT_EQ(ok({"--max-depth", "4"}).max_line, 2048u);
  EXPECT_EQ(ok({"--max-depth", "255"}).max_line, 255u * 251 + 128);
  EXPECT_EQ(ok({}).max_get_line, 4u * 1024 * 1024);
}

TEST(OptionsTest, SegmentLength) {
  EXPECT_EQ(ok({}).max_segment, 250u);
  EXPECT_EQ(ok({"--max-segment-length", "16"}).max_segment, 16u);
  // The nested-mode line cutoff follows it.
  EXPECT_EQ(ok({"--max-segment-length", "100", "--max-depth", "64"}).max_line, 64u * 101 + 128);
  EXPECT_THAT(usage_error({"--max-segment-length", "0"}), HasSubstr("--max-segment-length"));
  EXPECT_THAT(usage_error({"--max-segment-length", "251"}), HasSubstr("--max-segment-length"));
}

TEST(OptionsTest, LineLengthOptions) {
  EXPECT_EQ(ok({"--max-line-length", "4096"}).max_line, 4096u);
  EXPECT_EQ(ok({"--compat", "--max-line-length", "300"}).max_line, 300u);
  EXPECT_EQ(ok({"--max-get-line-length", "64k"}).max_get_line, 64u * 1024);
  EXPECT_THAT(usage_error({"--max-line-length", "255"}), HasSubstr("--max-line-length"));
  EXPECT_THAT(usage_error({"--max-line-length", "-1"}), HasSubstr("--max-line-length"));
  EXPECT_THAT(usage_error({"--max-line-length", "2000000"}), HasSubstr("--max-line-length"));
  EXPECT_THAT(usage_error({"--max-get-line-length", "1k"}), HasSubstr("--max-get-line-length"));
  EXPECT_THAT(usage_error({"--max-get-line-length", "lots"}), HasSubstr("--max-get-line-length"));
}

TEST(OptionsTest, ExtendedOptions) {
  EXPECT_EQ(ok({"-o", "idle_timeout=30"}).idle_timeout, 30u);
  EXPECT_EQ(ok({"-o", "idle_timeout=0"}).idle_timeout, 0u);
  EXPECT_THAT(usage_error({"-o", "no_such_thing=1"}), HasSubstr("no_such_thing"));
  for (const std::string bad :
       {"idle_timeout", "idle_timeout=", "idle_timeout=abc", "idle_timeout=-5", "idle_timeout=12s",
        "idle_timeout=99999999999"}) {
    SCOPED_TRACE(bad);
    EXPECT_THAT(usage_error({"-o", bad}), HasSubstr("idle_timeout"));
  }
}

TEST(OptionsTest, UnknownOptionsAndArguments) {
  for (const std::string bad : {"--no-such-option", "-Z", "--port"}) {
    SCOPED_TRACE(bad);
    usage_error({bad});
  }
}

// ---- --help and --version ----------------------------------------------------------------------

TEST(OptionsTest, Help) {
  for (const std::string flag : {"--help", "-h"}) {
    const ParsedOptions parsed = parse({flag});
    EXPECT_EQ(parsed.exit_code, 0);
    EXPECT_THAT(parsed.message, HasSubstr("--compat"));
    EXPECT_THAT(parsed.message, HasSubstr("--key-separator"));
    EXPECT_THAT(parsed.message, HasSubstr("--max-item-size"));
    EXPECT_THAT(parsed.message, StartsWith("Usage: nestcached"));
  }
}

TEST(OptionsTest, Version) {
  for (const std::string flag : {"--version", "-V"}) {
    const ParsedOptions parsed = parse({flag});
    EXPECT_EQ(parsed.exit_code, 0);
    EXPECT_EQ(parsed.message, "nestcached 0.1.0\n");
  }
}

// ---- --config ----------------------------------------------------------------------------------

TEST(OptionsTest, ConfigFile) {
  const TempFile file(
      "# nestcached settings\n"
      "port = 4567\n"
      "\n"
      "compat = true   # plain memcached clients\n"
      "key-separator = :\n"
      "  max-depth=12\n"
      "max-item-size = 2m\n"
      "strict-parents\n"
      "extended = idle_timeout=9\n");
  const Options options = ok({"--config", file.path()});
  EXPECT_EQ(options.port, 4567);
  EXPECT_TRUE(options.compat);
  EXPECT_EQ(options.key_separator, ':');
  EXPECT_EQ(options.max_depth, 12u);
  EXPECT_EQ(options.max_item_size, 2u << 20);
  EXPECT_TRUE(options.strict_parents);
  EXPECT_EQ(options.idle_timeout, 9u);
  EXPECT_EQ(options.config_file, file.path());
  EXPECT_EQ(options.threads, 4u);  // untouched defaults stay
}

// ---- durability ---------------------------------------------------------------------------------

TEST(OptionsTest, DurabilityIsOffUnlessADataDirIsGiven) {
  const Options plain = ok({});
  EXPECT_TRUE(plain.data_dir.empty());
  EXPECT_EQ(plain.fsync, "everysec");
  const Options durable = ok({"--data-dir", "/var/lib/nc", "--fsync", "always", "--persist",
                              "config", "--persist", "flags", "--truncate-corrupt-journal"});
  EXPECT_EQ(durable.data_dir, "/var/lib/nc");
  EXPECT_EQ(durable.fsync, "always");
  EXPECT_EQ(durable.persist, (std::vector<std::string>{"config", "flags"}));
  EXPECT_TRUE(durable.truncate_corrupt_journal);
}

TEST(OptionsTest, DurabilityOptionsAreChecked) {
  EXPECT_THAT(usage_error({"--data-dir", "/d", "--fsync", "sometimes"}),
              HasSubstr("always, everysec or no"));
  EXPECT_THAT(usage_error({"--data-dir", "/d", "--persist", "a b"}), HasSubstr("one segment"));
  EXPECT_THAT(usage_error({"--data-dir", "/d", "--persist", ""}), HasSubstr("one segment"));
  // Without a data dir they would silently do nothing: refused.
  EXPECT_THAT(usage_error({"--persist", "config"}), HasSubstr("need --data-dir"));
  EXPECT_THAT(usage_error({"--fsync", "always"}), HasSubstr("need --data-dir"));
  EXPECT_THAT(usage_error({"--truncate-corrupt-journal"}), HasSubstr("need --data-dir"));
  EXPECT_THAT(usage_error({"--snapshot-min-journal-mb", "0"}), HasSubstr("need --data-dir"));
  EXPECT_EQ(ok({"--data-dir", "/d", "--snapshot-min-journal-mb", "0"}).snapshot_min_journal_mb, 0u);
  EXPECT_EQ(ok({"--data-dir", "/d"}).snapshot_min_journal_mb, 64u);
  usage_error({"--data-dir", "/d", "--snapshot-min-journal-mb", "-1"});
}

TEST(OptionsTest, DurabilityFromAConfigFile) {
  const TempFile file(
      "data-dir = /srv/nc\nfsync = no\npersist = config\npersist = app\n"
      "truncate-corrupt-journal = yes\n");
  const Options options = ok({"--config", file.path()});
  EXPECT_EQ(options.data_dir, "/srv/nc");
  EXPECT_EQ(options.fsync, "no");
  EXPECT_EQ(options.persist, (std::vector<std::string>{"config", "app"}));
  EXPECT_TRUE(options.truncate_corrupt_journal);
}

TEST(OptionsTest, ConfigFlagsTakeFalse) {
  const TempFile file("compat = false\nstrict-parents = no\ndisable-evictions = 0\n");
  const Options options = ok({"--config", file.path()});
  EXPECT_FALSE(options.compat);
  EXPECT_FALSE(options.strict_parents);
  EXPECT_FALSE(options.disable_evictions);
}

TEST(OptionsTest, CommandLineOverridesConfigFile) {
  const TempFile file("port = 4567\nthreads = 2\nkey-separator = :\n");
  const Options after = ok({"--config", file.path(), "-p", "7777", "--key-separator", "/"});
  EXPECT_EQ(after.port, 7777);
  EXPECT_EQ(after.key_separator, '/');
  EXPECT_EQ(after.threads, 2u);  // from the file
  const Options before = ok({"-p", "7777", "--config", file.path()});
  EXPECT_EQ(before.port, 7777);
  EXPECT_EQ(before.threads, 2u);
}

TEST(OptionsTest, ConfigFileVerbosityAddsToTheCommandLine) {
  const TempFile file("verbose = 2\n");
  EXPECT_EQ(ok({"--config", file.path()}).verbosity, 2);
}

TEST(OptionsTest, ConfigFileErrors) {
  EXPECT_THAT(usage_error({"--config", "/nonexistent/nestcached.conf"}),
              HasSubstr("/nonexistent/nestcached.conf"));
  const TempFile unknown("no-such-key = 1\n");
  usage_error({"--config", unknown.path()});
  const TempFile valueless("port\n");
  EXPECT_THAT(usage_error({"--config", valueless.path()}), HasSubstr("port"));
  const TempFile bad_value("threads = 0\n");
  EXPECT_THAT(usage_error({"--config", bad_value.path()}), HasSubstr("-t"));
}

// ---- parse_size --------------------------------------------------------------------------------

TEST(ParseSizeTest, Spellings) {
  EXPECT_THAT(parse_size("0"), Optional(0u));
  EXPECT_THAT(parse_size("2048"), Optional(2048u));
  EXPECT_THAT(parse_size("1k"), Optional(1024u));
  EXPECT_THAT(parse_size("512K"), Optional(512u * 1024));
  EXPECT_THAT(parse_size("1m"), Optional(1024u * 1024));
  EXPECT_THAT(parse_size("3M"), Optional(3u * 1024 * 1024));
  EXPECT_THAT(parse_size("1g"), Optional(std::size_t{1} << 30));
  EXPECT_THAT(parse_size("4G"), Optional(std::size_t{4} << 30));
}

TEST(ParseSizeTest, Rejects) {
  for (const std::string bad :
       {"", "k", "-1", "+1", " 1", "1 ", "1kb", "1t", "1.5", "0x10", "99999999999999999999",
        "17179869184g", "18014398509481984m", "18014398509481985k"}) {
    EXPECT_EQ(parse_size(bad), std::nullopt) << "'" << bad << "'";
  }
}

TEST(ParseSizeTest, LargestValues) {
  EXPECT_THAT(parse_size("18446744073709551615"), Optional(SIZE_MAX));
  EXPECT_THAT(parse_size("17179869183g"), Optional((std::size_t{17179869183}) << 30));
}

}  // namespace
}  // namespace nestcache
