// Reading reply lines, shared by the reply and watch readers: a line off the front of the
// input, and numbers from the right (a path may be several spaced segments, so the numbers after
// it are taken off the end first).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

#include "nestcache/client/reply_reader.h"

namespace nestcache::client {

// The first line of `input` without its "\r\n" (or "\n"), and the bytes it takes in `size`:
// need_more until a "\n" arrives, bad when none comes within limits.max_line bytes.
inline ReadStatus take_line(std::string_view input, const ReaderLimits& limits,
                            std::string_view& line, std::size_t& size) {
  const void* newline = std::memchr(input.data(), '\n', std::min(input.size(), limits.max_line));
  if (newline == nullptr) {
    return input.size() >= limits.max_line ? ReadStatus::bad : ReadStatus::need_more;
  }
  size = static_cast<std::size_t>(static_cast<const char*>(newline) - input.data()) + 1;
  line = input.substr(0, size - 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return ReadStatus::complete;
}

// The data block of `bytes` bytes and its "\r\n" after the line's `line_size` bytes: its view
// in `data` and the whole unit's size in `consumed`; need_more until it has all arrived, bad when
// it does not end in "\r\n".
inline ReadStatus take_block(std::string_view input, std::size_t line_size, std::size_t bytes,
                             std::string_view& data, std::size_t& consumed) {
  // Compared without adding to `bytes` first, so a huge count cannot wrap.
  if (input.size() - line_size < bytes || input.size() - line_size - bytes < 2) {
    return ReadStatus::need_more;
  }
  if (input.substr(line_size + bytes, 2) != "\r\n") return ReadStatus::bad;
  data = input.substr(line_size, bytes);
  consumed = line_size + bytes + 2;
  return ReadStatus::complete;
}

// Takes the last space-separated token off `line` and parses it as a number of type T
// (decimal, the whole token); false, `line` unchanged, when there is none.
template <typename T>
bool take_number(std::string_view& line, T& value) {
  const std::size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return false;
  const std::string_view token = line.substr(space + 1);
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || token.empty()) return false;
  line = line.substr(0, space);
  return true;
}

}  // namespace nestcache::client
