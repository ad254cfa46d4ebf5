// Every reply and error text of the protocol, exactly once. memcached's texts are copied
// byte for byte (including the two spaces in the delete usage line).
#pragma once

#include <string_view>

#include "nestcache/protocol/binary_header.h"
#include "nestcache/protocol/composer.h"
#include "nestcache/protocol/parser.h"

namespace nestcache::wire {

inline constexpr std::string_view kEol = "\r\n";
inline constexpr std::string_view kValue = "VALUE ";
inline constexpr std::string_view kChild = "CHILD ";
inline constexpr std::string_view kItem = "ITEM ";
inline constexpr std::string_view kStat = "STAT ";
inline constexpr std::string_view kVersion = "VERSION ";
inline constexpr std::string_view kClientErrorPrefix = "CLIENT_ERROR ";

constexpr std::string_view reply_text(Reply reply) {
  switch (reply) {
    case Reply::stored:
      return "STORED\r\n";
    case Reply::not_stored:
      return "NOT_STORED\r\n";
    case Reply::exists:
      return "EXISTS\r\n";
    case Reply::not_found:
      return "NOT_FOUND\r\n";
    case Reply::deleted:
      return "DELETED\r\n";
    case Reply::touched:
      return "TOUCHED\r\n";
    case Reply::ok:
      return "OK\r\n";
    case Reply::end:
      return "END\r\n";
    case Reply::reset:
      return "RESET\r\n";
    case Reply::error:
      return "ERROR\r\n";
    case Reply::out_of_memory_storing:
      return "SERVER_ERROR out of memory storing object\r\n";
    case Reply::out_of_disk_space:
      return "SERVER_ERROR out of disk space\r\n";
    case Reply::needs_data_dir:
      return "CLIENT_ERROR snapshot needs --data-dir\r\n";
    case Reply::non_numeric:
      return "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
    case Reply::memlimit_too_small:
      return "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n";
    case Reply::memlimit_not_bytes:
      return "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n";
    case Reply::illegal_slab_id:
      return "CLIENT_ERROR Illegal slab id\r\n";
    case Reply::slabs_same:
      return "SAME src and dst class are identical\r\n";
    case Reply::slabs_bad_class:
      return "BADCLASS invalid src or dst class id\r\n";
    case Reply::slabs_no_spare:
      return "NOSPARE source class has no spare pages\r\n";
    case Reply::lru_pcts_too_high:
      return "ERROR hot and warm pcts must not exceed 80\r\n";
    case Reply::lru_factors_not_positive:
      return "ERROR hot/warm age factors must be greater than 0\r\n";
    case Reply::crawler_disabled:
      return "CLIENT_ERROR lru crawler disabled\r\n";
    case Reply::crawler_bad_class:
      return "BADCLASS invalid class id\r\n";
    case Reply::crawler_not_started:
      return "NOTSTARTED no items to crawl\r\n";
    case Reply::crawler_error:
      return "ERROR an unknown error happened\r\n";
    case Reply::crawler_start_failed:
      return "ERROR failed to start lru crawler thread\r\n";
    case Reply::crawler_sleep_too_long:
      return "CLIENT_ERROR sleep must be one second or less\r\n";
  }
  return "SERVER_ERROR unknown reply\r\n";
}

// The meta status codes; VA is followed by the value's length.
constexpr std::string_view meta_code_text(MetaCode code) {
  switch (code) {
    case MetaCode::va:
      return "VA ";
    case MetaCode::hd:
      return "HD";
    case MetaCode::en:
      return "EN";
    case MetaCode::ns:
      return "NS";
    case MetaCode::ex:
      return "EX";
    case MetaCode::nf:
      return "NF";
    case MetaCode::mn:
      return "MN";
  }
  return "SERVER_ERROR unknown reply";
}

constexpr std::string_view error_text(ParseError error) {
  switch (error) {
    case ParseError::none:
      break;
    case ParseError::unknown_command:
      return "ERROR\r\n";
    case ParseError::bad_format:
      return "CLIENT_ERROR bad command line format\r\n";
    case ParseError::bad_data_chunk:
      return "CLIENT_ERROR bad data chunk\r\n";
    case ParseError::too_large:
      return "SERVER_ERROR object too large for cache\r\n";
    case ParseError::invalid_exptime:
      return "CLIENT_ERROR invalid exptime argument\r\n";
    case ParseError::invalid_delta:
      return "CLIENT_ERROR invalid numeric delta argument\r\n";
    case ParseError::delete_usage:
      return "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
    case ParseError::bad_stats_args:
      return "CLIENT_ERROR bad command line\r\n";
    case ParseError::bad_path:
    case ParseError::meta_error:
      break;  // has its own detail; see Composer::error
  }
  return "SERVER_ERROR unknown error\r\n";
}

// The text memcached 1.6.18 puts in the body of a binary error reply (write_bin_error).
constexpr std::string_view binary_error_text(binary::Status status) {
  switch (status) {
    case binary::Status::success:
      break;
    case binary::Status::key_not_found:
      return "Not found";
    case binary::Status::key_exists:
      return "Data exists for key.";
    case binary::Status::too_large:
      return "Too large.";
    case binary::Status::invalid_arguments:
      return "Invalid arguments";
    case binary::Status::not_stored:
      return "Not stored.";
    case binary::Status::delta_badval:
      return "Non-numeric server-side value for incr or decr";
    case binary::Status::auth_error:
      return "Auth failure.";
    case binary::Status::unknown_command:
      return "Unknown command";
    case binary::Status::out_of_memory:
      return "Out of memory";
  }
  return "UNHANDLED ERROR";
}

// memcached's out-of-memory texts in binary replies: its SERVER_ERROR lines without the prefix.
inline constexpr std::string_view kBinaryNoMemoryItem = "Out of memory allocating item";
inline constexpr std::string_view kBinaryNoMemoryNewItem = "Out of memory allocating new item";
inline constexpr std::string_view kBinaryNoDiskSpace = "out of disk space";

}  // namespace nestcache::wire
