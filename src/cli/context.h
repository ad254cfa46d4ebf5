// What a command runs with: the options, the output streams and the connection (made on first
// use, so `--help` and bad arguments never need a server).
#pragma once

#include <iosfwd>
#include <memory>
#include <string>

#include "nestcache/client/client.h"
#include "options.h"

namespace nestcache::cli {

class Context {
 public:
  Context(Options options, std::ostream& out, std::ostream& err);
  ~Context();

  Options& options() { return options_; }
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }
  bool json() const { return options_.format == Format::json; }

  // The connected client; Failure (kExitConnect) when the server cannot be reached.
  client::Client& client();
  // Drops the connection (the next client() connects again).
  void disconnect();
  // The next command's options (the interactive mode); the connection stays when the server
  // is the same.
  void reset(Options options);
  // A PATH argument as segments (-d picks the separator); Failure (kExitUsage) when bad.
  client::Segments path(const std::string& text) const;
  // Segments as the user writes them (the root as "/").
  std::string show(const client::Segments& path) const;
  // A new connection to the same server (a second reader, a staging writer).
  client::Connection connect() const;

 private:
  Options options_;
  std::ostream& out_;
  std::ostream& err_;
  std::unique_ptr<client::Client> client_;
};

// Maps a client::Error to the Failure a command ends with (the exit codes' meanings).
[[noreturn]] void fail_with(const std::exception& error);

}  // namespace nestcache::cli
