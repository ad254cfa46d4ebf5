#include "export_writer.h"

#include <functional>
#include <optional>
#include <ostream>
#include <vector>

#include "codec.h"
#include "context.h"
#include "exit_codes.h"
#include "json_text.h"

namespace nestcache::cli {
namespace {

using client::Item;
using client::Segments;

// A child's name as a nested-format key: names starting with '@' get one more.
std::string member_name(const std::string& segment) {
  return json_quote(segment.starts_with('@') ? "@" + segment : segment);
}

std::string value_fields(const Item& item) {
  std::string out = is_utf8(item.data)
                        ? json_quote(kValueKey) + ": " + json_quote(item.data)
                        : json_quote(kBase64Key) + ": \"" + base64_encode(item.data) + "\"";
  if (item.flags != 0) out += ", " + json_quote(kFlagsKey) + ": " + std::to_string(item.flags);
  if (item.exptime != 0) {
    out += ", " + json_quote(kExptimeKey) + ": " + std::to_string(item.exptime);
  }
  return out;
}

bool is_prefix(const Segments& prefix, const Segments& path) {
  return prefix.size() < path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

// The nested document written as items arrive: objects are opened and closed along the walk
// (depth first, a node before its children), one item held back to know whether it has
// children (a plain leaf is written "name": "value").
class NestedWriter {
 public:
  // `root`: the JSON array of the exported root's segments.
  NestedWriter(std::ostream& out, const std::string& root) : out_(out) {
    out_ << "{\n  " << json_quote(kRootKey) << ": " << root;
    first_.push_back(false);
  }
  void add(const Item& item) {
    if (pending_) emit(*pending_, is_prefix(pending_->path, item.path));
    pending_ = item;
  }
  void finish() {
    if (pending_) emit(*pending_, false);
    while (!open_.empty()) close();
    out_ << "\n}\n";
  }

 private:
  void indent() { out_ << std::string(2 * (open_.size() + 1), ' '); }
  void member() {
    out_ << (first_.back() ? "\n" : ",\n");
    first_.back() = false;
    indent();
  }
  void open(const std::string& name) {
    member();
    out_ << member_name(name) << ": {";
    open_.push_back(name);
    first_.push_back(true);
  }
  void close() {
    open_.pop_back();
    first_.pop_back();
    out_ << "\n";
    indent();
    out_ << "}";
  }
  void emit(const Item& item, bool has_children) {
    const Segments parent(item.path.begin(), item.path.end() - 1);
    std::size_t common = 0;
    while (common < open_.size() && common < parent.size() && open_[common] == parent[common]) {
      ++common;
    }
    while (open_.size() > common) close();
    for (std::size_t i = common; i < parent.size(); ++i) open(parent[i]);
    const std::string& name = item.path.back();
    const bool plain = is_utf8(item.data) && item.flags == 0 && item.exptime == 0;
    if (!has_children && plain) {
      member();
      out_ << member_name(name) << ": " << json_quote(item.data);
      return;
    }
    open(name);
    member();
    out_ << value_fields(item);
    if (!has_children) close();
  }

  std::ostream& out_;
  Segments open_;            // the objects open below the document's top, by name
  std::vector<bool> first_;  // per open object (the top included): no member written yet
  std::optional<Item> pending_;
};

class FlatWriter {
 public:
  explicit FlatWriter(std::ostream& out) : out_(out) { out_ << "["; }
  void add(const Item& item) {
    out_ << (first_ ? "\n" : ",\n") << "  {\"key\": " << json_quote(client::join_path(item.path))
         << ", \"flags\": " << item.flags << ", \"value\": \"" << base64_encode(item.data) << "\"";
    if (item.exptime != 0) out_ << ", \"" << kFlatExptimeKey << "\": " << item.exptime;
    out_ << "}";
    first_ = false;
  }
  void finish() { out_ << (first_ ? "]\n" : "\n]\n"); }

 private:
  std::ostream& out_;
  bool first_ = true;
};

}  // namespace

// The walk: dumptree (values with exptime and cas); a server without it (ERROR) is walked with
// gettree, whose values carry no expiry.
client::Reply walk_values(Context& c, const Segments& root,
                          const std::function<void(const Item&)>& visit) {
  client::Reply end = c.client().dump(root, visit);
  if (end.kind == client::LineKind::error && end.line == "ERROR") {
    end = c.client().walk(root, visit);
  }
  return end;
}

int write_export(Context& c, const Segments& root, bool flat) {
  client::Reply end;
  if (flat) {
    FlatWriter writer(c.out());
    end = walk_values(c, root, [&](const Item& item) {
      for (const std::string& s : item.path) {
        if (s.find('/') != std::string::npos) {
          throw Failure{kExitUsage, "--flat: segment '" + s + "' holds '/', Consul's separator"};
        }
      }
      writer.add(item);
    });
    if (!end.is_error()) writer.finish();
  } else {
    std::string root_json = "[";
    for (const std::string& s : root)
      root_json += (root_json.size() > 1 ? "," : "") + json_quote(s);
    NestedWriter writer(c.out(), root_json + "]");
    end = walk_values(c, root, [&](const Item& item) { writer.add(item); });
    if (!end.is_error()) writer.finish();
  }
  if (end.is_error()) throw Failure{kExitServerError, "server: " + end.line};
  return kExitOk;
}

}  // namespace nestcache::cli
