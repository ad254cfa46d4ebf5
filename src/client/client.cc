#include "nestcache/client/client.h"

#include <charconv>

#include "nestcache/client/error.h"

namespace nestcache::client {
namespace {

constexpr std::size_t kQueueLimit = 64 * 1024;

std::size_t to_size(std::string_view text, std::size_t fallback) {
  std::size_t value = fallback;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

}  // namespace

std::string store_request(std::string_view verb, std::string_view wire_path, std::string_view data,
                          uint32_t flags, int64_t exptime, bool noreply) {
  std::string out;
  out.reserve(verb.size() + wire_path.size() + data.size() + 48);
  out.append(verb).append(" ").append(wire_path).append(" ").append(std::to_string(flags));
  out.append(" ").append(std::to_string(exptime)).append(" ").append(std::to_string(data.size()));
  if (noreply) out.append(" noreply");
  out.append("\r\n").append(data).append("\r\n");
  return out;
}

Client::Client(Connection connection, ReaderLimits limits)
    : connection_(std::move(connection)), limits_(limits) {}

const ServerMode& Client::mode() {
  if (!mode_) {
    ServerMode mode;
    for (const auto& [name, value] : stats("settings")) {
      if (name == "compat") mode.compat = value == "yes";
      if (name == "key_separator" && value.size() == 1) mode.separator = value[0];
      if (name == "max_depth") mode.max_depth = to_size(value, mode.max_depth);
      if (name == "item_size_max") mode.item_size_max = to_size(value, mode.item_size_max);
      if (name == "max_segment_length") {
        mode.max_segment_length = to_size(value, mode.max_segment_length);
      }
    }
    mode_ = mode;
  }
  return *mode_;
}

std::string Client::line_for(std::string_view verb, const Segments& path) {
  std::string line(verb);
  check_limits(path, mode());
  const std::string wire = wire_path(path, mode());
  if (!wire.empty()) line.append(" ").append(wire);
  return line;
}

void Client::queue(std::string_view bytes) {
  out_.append(bytes);
  if (out_.size() >= kQueueLimit) flush();
}

void Client::flush() {
  if (out_.empty()) return;
  connection_.send(out_);
  out_.clear();
}

void Client::read_unit(bool with_cas, const std::function<void(const Unit&)>& visit) {
  flush();
  for (;;) {
    Unit unit;
    std::size_t consumed = 0;
    switch (read_unit_from(connection_.buffered(), with_cas, unit, consumed)) {
      case ReadStatus::complete:
        visit(unit);
        connection_.consume(consumed);
        return;
      case ReadStatus::bad:
        throw Error(ErrorKind::protocol, "unreadable reply from the server: '" +
                                             std::string(connection_.buffered().substr(0, 80)) +
                                             "'");
      case ReadStatus::need_more:
        connection_.fill();
    }
  }
}

void Client::watch(const Segments& path, uint64_t from) {
  queue(line_for("watchtree " + std::to_string(from), path));
  queue("\r\n");
  flush();
}

bool Client::next_event(std::chrono::milliseconds wait,
                        const std::function<void(const WatchEvent&)>& visit) {
  const auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    WatchEvent event;
    std::size_t consumed = 0;
    switch (read_watch_event(connection_.buffered(), limits_, event, consumed)) {
      case ReadStatus::complete:
        visit(event);
        connection_.consume(consumed);
        return true;
      case ReadStatus::bad:
        throw Error(ErrorKind::protocol, "unreadable watch stream from the server: '" +
                                             std::string(connection_.buffered().substr(0, 80)) +
                                             "'");
      case ReadStatus::need_more: {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !connection_.fill_for(left)) return false;
      }
    }
  }
}

ReadStatus Client::read_unit_from(std::string_view input, bool with_cas, Unit& unit,
                                  std::size_t& consumed) const {
  return client::read_unit(input, with_cas, limits_, unit, consumed);
}

Reply Client::read_reply(ValueShape shape) {
  Reply reply;
  bool done = false;
  while (!done) {
    read_unit(shape == ValueShape::with_cas, [&](const Unit& unit) {
      if (unit.kind != UnitKind::line) {
        Item item;
        item.path = split_wire_path(unit.key, mode_.value_or(ServerMode{}));
        item.flags = unit.flags;
        item.exptime = unit.exptime;
        item.cas = unit.cas;
        item.data.assign(unit.data);
        reply.items.push_back(std::move(item));
        return;
      }
      const LineKind kind = classify(unit.line);
      if (kind == LineKind::child) {
        reply.lines.emplace_back(unit.line.substr(6));
      } else if (kind == LineKind::stat) {
        reply.lines.emplace_back(unit.line.substr(5));
      } else {
        reply.kind = kind;
        reply.line.assign(unit.line);
        done = true;
      }
    });
  }
  return reply;
}

Reply Client::call(std::string_view line, ValueShape shape) {
  queue(line);
  queue("\r\n");
  return read_reply(shape);
}

std::optional<Item> Client::get(const Segments& path, bool with_cas) {
  Reply reply = call(line_for(with_cas ? "getns" : "getn", path),
                     with_cas ? ValueShape::with_cas : ValueShape::plain);
  if (reply.is_error()) throw Error(ErrorKind::protocol, reply.line);
  if (reply.items.empty()) return std::nullopt;
  Item item = std::move(reply.items.front());
  item.path = path;
  return item;
}

Reply Client::store(std::string_view verb, const Segments& path, std::string_view data,
                    uint32_t flags, int64_t exptime) {
  check_limits(path, mode());
  queue(store_request(verb, wire_path(path, mode()), data, flags, exptime));
  return read_reply();
}

Reply Client::remove(const Segments& path) { return call(line_for("delete", path)); }

Reply Client::children(const Segments& path) { return call(line_for("getch", path)); }

std::vector<std::pair<std::string, std::string>> Client::stats(std::string_view args) {
  std::string line = "stats";
  if (!args.empty()) line.append(" ").append(args);
  const Reply reply = call(line);
  if (reply.is_error()) throw Error(ErrorKind::protocol, "stats: " + reply.line);
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& stat : reply.lines) {
    const std::size_t space = stat.find(' ');
    out.emplace_back(stat.substr(0, space),
                     space == std::string::npos ? "" : stat.substr(space + 1));
  }
  return out;
}

Reply Client::walk(const Segments& path, const std::function<void(const Item&)>& visit) {
  return stream("gettree", path, false, visit);
}

Reply Client::dump(const Segments& path, const std::function<void(const Item&)>& visit) {
  return stream("dumptree", path, true, visit);
}

Reply Client::stream(std::string_view verb, const Segments& path, bool dump,
                     const std::function<void(const Item&)>& visit) {
  queue(line_for(verb, path));
  queue("\r\n");
  Reply reply;
  Item item;
  bool done = false;
  while (!done) {
    read_unit(false, [&](const Unit& unit) {
      if (unit.kind == UnitKind::line) {
        reply.kind = classify(unit.line);
        reply.line.assign(unit.line);
        done = true;
        return;
      }
      if (dump != (unit.kind == UnitKind::node)) {
        throw Error(ErrorKind::protocol, "unexpected reply line: " + std::string(unit.line));
      }
      item.path = split_wire_path(unit.key, mode());
      item.flags = unit.flags;
      item.exptime = unit.exptime;
      item.cas = unit.cas;
      item.data.assign(unit.data);
      visit(item);
    });
  }
  return reply;
}

}  // namespace nestcache::client
