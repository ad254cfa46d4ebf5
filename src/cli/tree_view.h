// `tree`: a subtree held in memory from a gettree walk, drawn with box-drawing characters.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "nestcache/client/client.h"

namespace nestcache::cli {

struct TreeNode {
  std::optional<client::Item> value;
  std::map<std::string, std::unique_ptr<TreeNode>> children;  // name order (bytewise)
};

// Adds `item` at `relative` (its path below the drawn root).
void add_to_tree(TreeNode& root, const client::Segments& relative, const client::Item& item);

// The lines of the drawing: `label` for the root (and its value), then each node as
// "├── name = value" / "└── name", values cut to `width` columns (ending in "…"), values that
// are not printable text as "<N bytes>".
std::vector<std::string> draw_tree(const TreeNode& root, const std::string& label,
                                   std::size_t width);

// The width to cut at: the terminal's, else $COLUMNS, else 80.
std::size_t terminal_width();

}  // namespace nestcache::cli
