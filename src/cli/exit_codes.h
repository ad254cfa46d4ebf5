// nestcache-cli's exit codes (as etcdctl v2's): documented in --help and README.
#pragma once

#include <string>

namespace nestcache::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;        // bad arguments, unreadable input file
inline constexpr int kExitConnect = 2;      // cannot connect (or the connection timed out)
inline constexpr int kExitServerError = 3;  // the server refused, failed or went away
inline constexpr int kExitNotFound = 4;     // no node at the path
inline constexpr int kExitResync = 5;       // watch --no-resync: changes were lost to the watch

// A failure with its exit code, thrown by commands and caught in main.
struct Failure {
  int code;
  std::string message;
};

}  // namespace nestcache::cli
