#!/usr/bin/env bash
# "Serve under attack" (issue 13): a release `pubdata serve --demo` on loopback, attacked with wrk,
# while a signed-in client measures its own latency. Prints what BENCHMARKS.md records.
#   bash bench/serve-under-attack.sh [PATH_TO_RELEASE_PUBDATA]
# Needs wrk (Debian package). Every load is bounded in time and sent to 127.0.0.1 only.
set -euo pipefail
BIN="${1:-target/release/pubdata}"
PORT="${PORT:-18181}"
URL="http://127.0.0.1:$PORT"
DIR="$(mktemp -d)"
LUA="$DIR/lua"; mkdir -p "$LUA"
trap 'kill "$SERVER" 2>/dev/null || true; rm -rf "$DIR"' EXIT

start() {
  # $@: extra serve flags
  "$BIN" serve --demo --data-dir "$DIR/data" --listen "127.0.0.1:$PORT" "$@" >"$DIR/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs "$URL/api/v1/stats" >/dev/null && break; sleep 0.2; done
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; }
rss_mib() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$SERVER/status"; }
hwm_mib() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$SERVER/status"; }
token() {
  # The demo's users share the password `serve --demo` prints.
  local pw; pw="$(grep -o 'with password "[^"]*"' "$DIR/serve.log" | head -1 | cut -d'"' -f2)"
  curl -fs -X POST "$URL/api/v1/tokens" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$pw\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
p99() { # wrk --latency output -> p99 in ms
  awk '/ 99%/ {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}'
}

cat >"$LUA/signin.lua" <<'LUA'
math.randomseed(os.time())
request = function()
  local body = string.format('{"username":"u%d","password":"wrong password %d"}', math.random(1, 1e9), math.random(1, 1e9))
  -- Each request from another client (the server trusts 127.0.0.1 as its proxy), so that the
  -- per-client hold does not stop the flood before the password checks.
  local client = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("POST", "/api/v1/tokens", {["Content-Type"] = "application/json", ["X-Forwarded-For"] = client}, body)
end
LUA
cat >"$LUA/sql.lua" <<'LUA'
request = function()
  return wrk.format("POST", "/api/v1/sql", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("TOKEN")}, os.getenv("BODY"))
end
LUA

echo "== 1. sign-in flood, 200 connections, 20 s, every request from another client address"
start --trusted-proxy 127.0.0.1
ADMIN="$(token admin)"
echo "idle: $(rss_mib) MiB"
echo "baseline p99 of GET /api/v1/stats (token, 4 connections):"
wrk -t1 -c4 -d5s --latency -H "Authorization: Bearer $ADMIN" "$URL/api/v1/stats" | p99
wrk -t1 -c200 -d20s -s "$LUA/signin.lua" "$URL" >"$DIR/flood.txt" &
FLOOD=$!
sleep 2
wrk -t1 -c4 -d15s --latency -H "Authorization: Bearer $ADMIN" "$URL/api/v1/stats" >"$DIR/legit.txt"
wait "$FLOOD"
echo "during the flood: p99 of GET /api/v1/stats = $(p99 <"$DIR/legit.txt") ms; peak $(hwm_mib) MiB; after $(rss_mib) MiB"
grep -E "Requests/sec|Non-2xx" "$DIR/flood.txt"
stop

echo "== 2. audit flood: anonymous GET /api/v1/users, 32 connections, 15 s (default limits)"
rm -rf "$DIR/data"; start
ADMIN="$(token admin)"
before="$(curl -fs -H "Authorization: Bearer $ADMIN" "$URL/api/v1/audit/verify" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')"
wrk -t1 -c32 -d15s "$URL/api/v1/users" | grep -E "Requests/sec|Non-2xx|requests in"
after="$(curl -fs -H "Authorization: Bearer $ADMIN" "$URL/api/v1/audit/verify" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')"
echo "audit entries written by the flood: $((after - before - 0))"
stop

echo "== 3. a 10-second SQL cross join and the other requests"
rm -rf "$DIR/data"; start --sql-time-limit 10
ADMIN="$(token admin)"
ENTRY="$(curl -fs "$URL/api/v1/catalog" | python3 -c '
import json, sys, urllib.request
d = json.load(sys.stdin)
entries = d["entries"] if isinstance(d, dict) else d
for e in entries:
    req = urllib.request.Request(sys.argv[1] + "/api/v1/catalog/" + e["id"] + "/versions",
                                 headers={"Authorization": "Bearer " + sys.argv[2]})
    v = json.load(urllib.request.urlopen(req))
    v = v["versions"] if isinstance(v, dict) else v
    if v:
        print(e["id"]); break
' "$URL" "$ADMIN")"
T="e_$(echo "${ENTRY#e-}" | tr - _)"
echo "baseline p99 of GET /api/v1/stats:"
wrk -t1 -c4 -d5s --latency -H "Authorization: Bearer $ADMIN" "$URL/api/v1/stats" | p99
BODY="{\"sql\":\"SELECT COUNT(*) FROM $T a, $T b, $T c, $T d, $T e, $T f, $T g\"}"
time curl -s -X POST "$URL/api/v1/sql" -H 'content-type: application/json' -H "Authorization: Bearer $ADMIN" -d "$BODY" >"$DIR/sql.txt" &
SQL=$!
sleep 1
wrk -t1 -c4 -d8s --latency -H "Authorization: Bearer $ADMIN" "$URL/api/v1/stats" >"$DIR/during.txt"
wait "$SQL"
echo "query answered: $(head -c 200 "$DIR/sql.txt")"
echo "during the query: p99 of GET /api/v1/stats = $(p99 <"$DIR/during.txt") ms, $(grep Requests/sec "$DIR/during.txt")"
stop
