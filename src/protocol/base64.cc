#include "nestcache/protocol/base64.h"

#include <array>
#include <cstdint>

namespace nestcache {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kNone = 0x80;
constexpr uint8_t kPad = 0x40;

constexpr std::array<uint8_t, 256> make_table() {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kNone;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<uint8_t>(i);
  }
  table['='] = kPad;
  return table;
}
constexpr std::array<uint8_t, 256> kTable = make_table();

}  // namespace

bool base64_decode(std::string_view text, std::string& out) {
  std::size_t count = 0;
  for (const char c : text) {
    if (kTable[static_cast<unsigned char>(c)] != kNone) ++count;
  }
  if (count == 0 || count % 4 != 0) return false;
  const std::size_t start = out.size();
  uint8_t group[4];
  std::size_t filled = 0;
  std::size_t pads = 0;
  for (const char c : text) {
    const uint8_t bits = kTable[static_cast<unsigned char>(c)];
    if (bits == kNone) continue;
    if (bits == kPad) ++pads;
    group[filled++] = bits == kPad ? 0 : bits;
    if (filled < 4) continue;
    out.push_back(static_cast<char>((group[0] << 2) | (group[1] >> 4)));
    out.push_back(static_cast<char>((group[1] << 4) | (group[2] >> 2)));
    out.push_back(static_cast<char>((group[2] << 6) | group[3]));
    filled = 0;
    if (pads > 0) {
      if (pads > 2) {
        out.resize(start);
        return false;
      }
      out.resize(out.size() - pads);
      break;  // padding ends the text
    }
  }
  if (out.size() == start) return false;
  return true;
}

void base64_encode(std::string_view bytes, std::string& out) {
  std::size_t i = 0;
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t left = bytes.size() - i;
  if (left == 0) return;
  const uint32_t v = (at(i) << 16) | (left == 2 ? at(i + 1) << 8 : 0);
  out.push_back(kAlphabet[(v >> 18) & 63]);
  out.push_back(kAlphabet[(v >> 12) & 63]);
  out.push_back(left == 2 ? kAlphabet[(v >> 6) & 63] : '=');
  out.push_back('=');
}

}  // namespace nestcache
