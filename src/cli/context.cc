#include "context.h"

#include <ostream>

#include "exit_codes.h"
#include "nestcache/client/error.h"

namespace nestcache::cli {

Context::Context(Options options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

Context::~Context() = default;

client::Connection Context::connect() const {
  try {
    return client::Connection(options_.host, options_.port, options_.timeout);
  } catch (const client::Error& e) {
    throw Failure{kExitConnect, e.what()};
  }
}

client::Client& Context::client() {
  if (!client_) {
    client::ReaderLimits limits;
    client_ = std::make_unique<client::Client>(connect(), limits);
  }
  return *client_;
}

void Context::disconnect() { client_.reset(); }

void Context::reset(Options options) {
  if (options.host != options_.host || options.port != options_.port) disconnect();
  options_ = std::move(options);
}

client::Segments Context::path(const std::string& text) const {
  try {
    return client::split_path(text, options_.separator);
  } catch (const client::Error& e) {
    throw Failure{kExitUsage, e.what()};
  }
}

std::string Context::show(const client::Segments& path) const {
  return path.empty() ? std::string(1, options_.separator)
                      : client::join_path(path, options_.separator);
}

void fail_with(const std::exception& error) {
  if (const auto* e = dynamic_cast<const client::Error*>(&error)) {
    switch (e->kind()) {
      case client::ErrorKind::connect:
        throw Failure{kExitConnect, e->what()};
      case client::ErrorKind::usage:
        throw Failure{kExitUsage, e->what()};
      case client::ErrorKind::timeout:
      case client::ErrorKind::closed:
      case client::ErrorKind::protocol:
        throw Failure{kExitServerError, e->what()};
    }
  }
  throw Failure{kExitServerError, error.what()};
}

}  // namespace nestcache::cli
