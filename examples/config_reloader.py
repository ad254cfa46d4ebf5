#!/usr/bin/python3
"""A config reloader: keeps {path: value} of one subtree in step with nestcached and prints it
after each change. `nestcache-cli watch` resumes by itself after a lost connection or a server
restart; when changes may have been missed it says RESYNC, and the subtree is read again.
Usage: config_reloader.py PREFIX [nestcache-cli options, e.g. -p 11211]"""
import base64, json, os, subprocess, sys, threading

prefix, cli = sys.argv[1], [os.environ.get("NESTCACHE_CLI", "nestcache-cli")] + sys.argv[2:]


def read_all():  # the whole subtree, in Consul's flat format (base64 values)
    out = subprocess.run(cli + ["export", "--flat", prefix], capture_output=True).stdout
    return {e["key"]: base64.b64decode(e["value"]).decode(errors="replace")
            for e in json.loads(out or b"[]")}


watch = subprocess.Popen(cli + ["-o", "json", "watch", prefix], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
watch.stderr.readline()  # "watching PREFIX after revision N": from now on nothing is missed
threading.Thread(target=lambda: sys.stderr.writelines(watch.stderr), daemon=True).start()
config = read_all()
print(json.dumps(config, sort_keys=True), flush=True)
for event in map(json.loads, watch.stdout):
    kind, path = event["event"], event.get("path", "")
    if kind == "SET":
        config[path] = event.get("value", "<binary>")
    elif kind in ("DELETE", "EXPIRE", "EVICT", "UNSET"):  # a subtree, or a value, went
        below = kind in ("DELETE", "EXPIRE")
        config = {k: v for k, v in config.items()
                  if k != path and not (below and k.startswith(path + "/"))}
    elif kind != "TOUCH":  # RESYNC, GRAFT (an atomic import), FLUSH: read it all again
        config = read_all()
    print(json.dumps(config, sort_keys=True), flush=True)
