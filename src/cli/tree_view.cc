#include "tree_view.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>

#include "codec.h"

namespace nestcache::cli {
namespace {

// Columns taken by UTF-8 `text` (one per code point: wide characters are not measured).
std::size_t columns(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// `text` cut to `width` columns, the last one an ellipsis when something was cut.
std::string cut(const std::string& text, std::size_t width) {
  if (columns(text) <= width) return text;
  std::string out;
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool starts = (static_cast<unsigned char>(text[i]) & 0xc0) != 0x80;
    if (starts && ++n > width - 1) break;
    out += text[i];
  }
  return out + "…";
}

std::string shown_value(const client::Item& item) {
  if (is_printable(item.data)) return item.data.empty() ? "\"\"" : item.data;
  return "<" + std::to_string(item.data.size()) + " bytes>";
}

std::string label_of(const std::string& name, const TreeNode& node) {
  return node.value ? name + " = " + shown_value(*node.value) : name;
}

void draw(const TreeNode& node, const std::string& indent, std::size_t width,
          std::vector<std::string>& lines) {
  std::size_t left = node.children.size();
  for (const auto& [name, child] : node.children) {
    const bool last = --left == 0;
    lines.push_back(cut(indent + (last ? "└── " : "├── ") + label_of(name, *child), width));
    draw(*child, indent + (last ? "    " : "│   "), width, lines);
  }
}

}  // namespace

void add_to_tree(TreeNode& root, const client::Segments& relative, const client::Item& item) {
  TreeNode* node = &root;
  for (const std::string& segment : relative) {
    auto& slot = node->children[segment];
    if (!slot) slot = std::make_unique<TreeNode>();
    node = slot.get();
  }
  node->value = item;
}

std::vector<std::string> draw_tree(const TreeNode& root, const std::string& label,
                                   std::size_t width) {
  if (width < 8) width = 8;
  std::vector<std::string> lines{cut(label_of(label, root), width)};
  draw(root, "", width, lines);
  return lines;
}

std::size_t terminal_width() {
  winsize ws{};
  if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  if (const char* env = std::getenv("COLUMNS")) {
    const long n = std::strtol(env, nullptr, 10);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  return 80;
}

}  // namespace nestcache::cli
