#include "import_doc.h"

#include <optional>

#include <nlohmann/json.hpp>

#include "codec.h"
#include "exit_codes.h"
#include "export_writer.h"

namespace nestcache::cli {
namespace {

using json = nlohmann::json;
using client::Segments;

[[noreturn]] void bad(const std::string& source, const Segments& at, const std::string& what) {
  throw Failure{kExitUsage, source + ": at '" + client::join_path(at) + "': " + what};
}

uint32_t flags_of(const json& v, const std::string& source, const Segments& at) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > 0xffffffffULL) {
    bad(source, at, "flags must be a number 0..4294967295");
  }
  return static_cast<uint32_t>(v.get<uint64_t>());
}

int64_t exptime_of(const json& v, const std::string& source, const Segments& at) {
  if (!v.is_number_integer()) bad(source, at, "exptime must be an integer (Unix time)");
  return v.get<int64_t>();
}

void check_name(const std::string& name, const std::string& source, const Segments& at) {
  for (const unsigned char c : name) {
    if (c <= 0x20 || c == 0x7f)
      bad(source, at, "name '" + name + "' holds a space or control byte");
  }
  if (name.empty()) bad(source, at, "empty name");
}

// One node of a nested document: a string is a value; an object holds reserved keys and children.
void read_node(const json& node, Segments& at, ImportDoc& doc, const std::string& source) {
  if (node.is_string()) {
    doc.values[at] = DocValue{node.get<std::string>(), 0, 0};
    return;
  }
  if (!node.is_object()) bad(source, at, "expected a string or an object");
  DocValue value;
  bool has_value = false;
  for (const auto& [key, child] : node.items()) {
    if (key.starts_with("@@")) {
      at.push_back(key.substr(1));
      check_name(at.back(), source, at);
      read_node(child, at, doc, source);
      at.pop_back();
    } else if (key == kValueKey) {
      if (!child.is_string()) bad(source, at, "@value must be a string");
      value.data = child.get<std::string>();
      has_value = true;
    } else if (key == kBase64Key) {
      if (!child.is_string()) bad(source, at, "@base64 must be a string");
      auto decoded = base64_decode(child.get<std::string>());
      if (!decoded) bad(source, at, "@base64 is not valid base64");
      value.data = std::move(*decoded);
      has_value = true;
    } else if (key == kFlagsKey) {
      value.flags = flags_of(child, source, at);
    } else if (key == kExptimeKey) {
      value.exptime = exptime_of(child, source, at);
    } else if (key.starts_with('@')) {
      bad(source, at, "unknown reserved key '" + key + "' (a child named @x is written @@x)");
    } else {
      at.push_back(key);
      check_name(key, source, at);
      read_node(child, at, doc, source);
      at.pop_back();
    }
  }
  if (!has_value && (value.flags != 0 || value.exptime != 0)) {
    bad(source, at, "@flags or @exptime without @value or @base64");
  }
  if (has_value) doc.values[at] = std::move(value);
}

ImportDoc read_nested(const json& top, const std::string& source) {
  ImportDoc doc;
  if (!top.is_object()) throw Failure{kExitUsage, source + ": a nested document is an object"};
  Segments at;
  bool has_root = false;
  for (const auto& [key, child] : top.items()) {
    if (key == kRootKey) {
      if (!child.is_array()) bad(source, at, "@root must be an array of segments");
      Segments root;
      for (const json& s : child) {
        if (!s.is_string()) bad(source, at, "@root must be an array of segments");
        root.push_back(s.get<std::string>());
        check_name(root.back(), source, root);
      }
      doc.roots.push_back(root);
      has_root = true;
    } else if (key.starts_with('@') && !key.starts_with("@@")) {
      bad(source, at, "unknown reserved key '" + key + "' at the top");
    }
  }
  for (const auto& [key, child] : top.items()) {
    if (key == kRootKey) continue;
    at.assign(1, key.starts_with("@@") ? key.substr(1) : key);
    check_name(at[0], source, at);
    if (!has_root) doc.roots.push_back(at);
    read_node(child, at, doc, source);
  }
  if (has_root) {
    for (const auto& [path, value] : doc.values) {
      if (!is_under(doc.roots[0], path)) bad(source, path, "outside @root");
    }
  }
  return doc;
}

ImportDoc read_flat(const json& top, const std::string& source) {
  ImportDoc doc;
  std::optional<Segments> common;
  for (const json& entry : top) {
    const Segments at;
    if (!entry.is_object() || !entry.contains("key") || !entry["key"].is_string()) {
      bad(source, at, "each entry needs a \"key\" string");
    }
    Segments path;
    try {
      path = client::split_path(entry["key"].get<std::string>(), '/');
    } catch (const std::exception& e) {
      bad(source, at, e.what());
    }
    if (path.empty()) bad(source, at, "an empty key");
    DocValue value;
    if (entry.contains("value") && !entry["value"].is_null()) {
      if (!entry["value"].is_string()) bad(source, path, "\"value\" must be a base64 string");
      auto decoded = base64_decode(entry["value"].get<std::string>());
      if (!decoded) bad(source, path, "\"value\" is not valid base64");
      value.data = std::move(*decoded);
    }
    if (entry.contains("flags")) value.flags = flags_of(entry["flags"], source, path);
    if (entry.contains(kFlatExptimeKey)) {
      value.exptime = exptime_of(entry[kFlatExptimeKey], source, path);
    }
    if (!common) {
      common = path;
    } else {
      std::size_t n = 0;
      while (n < common->size() && n < path.size() && (*common)[n] == path[n]) ++n;
      common->resize(n);
    }
    doc.values[path] = std::move(value);
  }
  // The deepest node above every key (a lone key covers its own node); keys under several
  // top-level names cover each of those namespaces, never the whole tree.
  if (common && !common->empty()) {
    doc.roots.push_back(*common);
  } else {
    for (const auto& [path, value] : doc.values) {
      if (doc.roots.empty() || doc.roots.back()[0] != path[0]) doc.roots.push_back({path[0]});
    }
  }
  return doc;
}

}  // namespace

bool is_under(const Segments& root, const Segments& path) {
  return path.size() >= root.size() && std::equal(root.begin(), root.end(), path.begin());
}

ImportDoc parse_document(const std::string& text, const std::string& source) {
  json top;
  try {
    top = json::parse(text);
  } catch (const json::parse_error& e) {
    // Line and column of the byte where parsing stopped (1-based).
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    std::string what = e.what();
    const std::size_t colon = what.find("error while parsing");
    if (colon != std::string::npos) what = what.substr(colon);
    throw Failure{kExitUsage, source + ":" + std::to_string(line) + ":" + std::to_string(column) +
                                  ": malformed JSON (byte " + std::to_string(e.byte) +
                                  "): " + what};
  }
  if (top.is_array()) return read_flat(top, source);
  return read_nested(top, source);
}

void reroot(ImportDoc& doc, const Segments& to) {
  if (doc.roots.size() != 1) {
    throw Failure{kExitUsage, "--to: the document covers " + std::to_string(doc.roots.size()) +
                                  " subtrees (give it an @root, or import without --to)"};
  }
  const Segments from = doc.roots[0];
  std::map<Segments, DocValue> moved;
  for (auto& [path, value] : doc.values) {
    Segments p = to;
    p.insert(p.end(), path.begin() + static_cast<std::ptrdiff_t>(from.size()), path.end());
    moved[p] = std::move(value);
  }
  doc.values = std::move(moved);
  doc.roots[0] = to;
}

}  // namespace nestcache::cli
