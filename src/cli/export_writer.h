// export: the subtree streamed as JSON while the server's reply arrives (one value held at a
// time), in the nested format or Consul's flat one. Formats: README "nestcache-cli".
#pragma once

#include <functional>

#include "nestcache/client/client.h"

namespace nestcache::cli {

class Context;

// Writes the document of the subtree at `root` to c.out(); the exit code.
int write_export(Context& c, const client::Segments& root, bool flat);

// Visits the values at and below `root` in walk order, with expiry (dumptree; gettree on a
// server that lacks it). Returns the reply's last line.
client::Reply walk_values(Context& c, const client::Segments& root,
                          const std::function<void(const client::Item&)>& visit);

// Reserved keys of the nested format ("@root": the exported PATH as an array of segments).
inline constexpr char kRootKey[] = "@root";
inline constexpr char kValueKey[] = "@value";
inline constexpr char kBase64Key[] = "@base64";
inline constexpr char kFlagsKey[] = "@flags";
inline constexpr char kExptimeKey[] = "@exptime";
// Flat format: the expiry, which Consul's format lacks (Consul's tools ignore the member).
inline constexpr char kFlatExptimeKey[] = "nestcache_exptime";

}  // namespace nestcache::cli
