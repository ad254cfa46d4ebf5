#!/usr/bin/env python3
"""A namespaced cache with a plain memcache client (pymemcache) and nestcached.

Start the server with a key separator, so that "acme:user:1:profile" is the path
acme -> user -> 1 -> profile:

    nestcached --key-separator : -p 11211 &
    python3 examples/namespaced_cache.py --server 127.0.0.1:11211

The program caches tenant -> user -> object, then invalidates one user and a whole tenant,
each with a single delete, and shows what is left. It exits non-zero if the server does not
behave as a namespaced cache (for example, when it was started without --key-separator :).
"""

import argparse
import sys

from pymemcache.client.base import Client

TENANTS = {
    "acme": {"1": "Ada", "2": "Grace"},
    "globex": {"7": "Hank", "8": "Marge"},
}


def key(tenant, user, obj):
    return f"{tenant}:user:{user}:{obj}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default="127.0.0.1:11211", help="host:port of nestcached")
    args = parser.parse_args()
    host, _, port = args.server.rpartition(":")
    mc = Client((host or "127.0.0.1", int(port)), default_noreply=False, connect_timeout=5,
                timeout=5)
    ok = True

    def check(label, got, want):
        nonlocal ok
        status = "ok" if got == want else f"UNEXPECTED (wanted {want!r})"
        ok = ok and got == want
        print(f"  {label}: {got!r} {status}")

    print(f"connected to nestcached {mc.version().decode()} at {args.server}")

    # 1. Fill the cache: every object of every user of every tenant.
    print("caching tenant -> user -> object:")
    everything = {}
    for tenant, users in TENANTS.items():
        for user, name in users.items():
            everything[key(tenant, user, "profile")] = f"name={name}".encode()
            everything[key(tenant, user, "cart")] = f"{len(name)} items".encode()
    for k, v in everything.items():
        mc.set(k, v, expire=3600)
        print(f"  set {k} = {v.decode()}")

    # 2. Read a few objects back in one round trip.
    print("reading back:")
    wanted = [key("acme", "1", "profile"), key("globex", "8", "cart")]
    got = mc.get_many(wanted)
    for k in wanted:
        check(f"get {k}", got.get(k), everything[k])

    # 3. A user changed: drop everything cached for acme user 2 with one delete.
    print("invalidating one user: delete acme:user:2")
    check("delete acme:user:2", mc.delete("acme:user:2"), True)
    check("get acme:user:2:profile", mc.get(key("acme", "2", "profile")), None)
    check("get acme:user:1:profile", mc.get(key("acme", "1", "profile")), b"name=Ada")

    # 4. A tenant was reconfigured: drop the whole tenant with one delete.
    print("invalidating a tenant: delete acme")
    check("delete acme", mc.delete("acme"), True)
    left = mc.get_many(list(everything))
    for k in sorted(everything):
        if k.startswith("acme:"):
            check(f"get {k}", left.get(k), None)
    kept = sorted(k for k in left)
    check("still cached", kept, sorted(k for k in everything if k.startswith("globex:")))

    mc.close()
    print("done" if ok else "FAILED: the server did not behave as a namespaced cache")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
