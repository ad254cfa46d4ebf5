// The bounds of one step of a long reply (Engine::execute, Engine::resume). The connection
// writes about every MiB, so a client that does not read holds about that plus one step.
#pragma once

#include <cstddef>

namespace nestcache {

// About this much output per step.
inline constexpr std::size_t kStepOutput = 256 * 1024;
// Multi-get keys per step, each read under its own shard lock.
inline constexpr std::size_t kStepKeys = 64;
// gettree: tree nodes looked at per step, under one shard lock.
inline constexpr std::size_t kStepNodes = 1024;
// getch: child names per step (at most 1024 * 257 bytes, kStepOutput's size).
inline constexpr std::size_t kStepNames = 1024;

}  // namespace nestcache
