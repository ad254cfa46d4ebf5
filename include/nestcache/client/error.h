// What can go wrong talking to a server, as one exception type with a kind a program can act on
// (nestcache-cli maps the kinds to its exit codes).
#pragma once

#include <stdexcept>
#include <string>

namespace nestcache::client {

enum class ErrorKind {
  connect,   // the server could not be reached
  timeout,   // no progress within the connection's timeout
  closed,    // the server closed the connection
  protocol,  // a reply that does not follow the protocol (or is past the reader's limits)
  usage,     // the request cannot be sent as asked (a path the server's mode cannot name)
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace nestcache::client
