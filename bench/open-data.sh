#!/usr/bin/env bash
# Open data under load (issue 16): a release `pubdata serve` over the demo province plus 10,000
# synthetic open datasets (`pubdata gen catalog`), measured with wrk on loopback:
# package_search and datastore_search requests/s with p50/p99; then the download throughput of a
# ~1 GB release (Parquet object, and the same release streamed as CSV) beside `cat` of the same
# object file in the same run. Prints what BENCHMARKS.md records.
#   bash bench/open-data.sh [PATH_TO_RELEASE_PUBDATA]
# Needs wrk and curl. The anonymous limit is raised for the throughput runs (a single loopback
# client would otherwise be held to 50 requests/s by design).
set -euo pipefail
BIN="${1:-target/release/pubdata}"
PORT="${PORT:-18182}"
URL="http://127.0.0.1:$PORT"
DIR="$(mktemp -d)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$DIR"' EXIT
ENTRIES="${ENTRIES:-10000}"
BIG_ROWS="${BIG_ROWS:-23000000}"

start() {
  "$BIN" serve --data-dir "$DIR/data" --listen "127.0.0.1:$PORT" --workers 2 \
    --anonymous-rate 1000000 --anonymous-burst 1000000 "$@" >"$DIR/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 600); do curl -fs "$URL/api/3/action/status_show" >/dev/null && return; sleep 0.2; done
  cat "$DIR/serve.log" >&2; exit 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }
pct() { # wrk --latency output, percentile label ("50%", "99%") -> ms
  awk -v p="$1" '$1 == p {v=$2; if (v ~ /us$/) {sub("us","",v); v=v/1000} else if (v ~ /ms$/) {sub("ms","",v)} else if (v ~ /s$/) {sub("s","",v); v=v*1000}; print v}'
}
load() { # name, path
  wrk -t2 -c16 -d15s --latency "$URL$2" >"$DIR/wrk.txt"
  printf '%-44s %8s req/s  p50 %6s ms  p99 %6s ms  %s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' "$DIR/wrk.txt")" \
    "$(pct 50% <"$DIR/wrk.txt")" "$(pct 99% <"$DIR/wrk.txt")" \
    "$(grep -o 'Non-2xx or 3xx responses: [0-9]*' "$DIR/wrk.txt" || true)"
}
token() {
  curl -fs -X POST "$URL/api/v1/tokens" -H 'content-type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"demo-password\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1024/1024)}' /proc/meminfo) GiB; $("$BIN" --version)"
echo "== setup: serve --demo, then gen catalog --entries $ENTRIES"
start --demo; stop
"$BIN" gen catalog --entries "$ENTRIES" --data-dir "$DIR/data"
start
COUNT="$(curl -fs "$URL/api/3/action/package_search?rows=0" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["count"])')"
echo "datasets on the portal: $COUNT"
WATER="$(curl -fs "$URL/api/3/action/package_search?q=%E5%B1%85%E6%B0%91%E7%94%9F%E6%B4%BB%E7%94%A8%E6%B0%B4%E9%87%8F&rows=1" |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["result"]["results"][0]; print([x["id"] for x in r["resources"] if x["format"]=="CSV"][0])')"

echo "== package_search and datastore_search, wrk -t2 -c16 -d15s"
load "package_search q=杭州 rows=10" "/api/3/action/package_search?q=%E6%9D%AD%E5%B7%9E&rows=10"
load "package_search fq=organization + 2 facets" "/api/3/action/package_search?fq=organization:hz-water&facet.field=%5B%22organization%22%2C%22res_format%22%5D&rows=20"
load "package_search sort=id asc start=5000 rows=100" "/api/3/action/package_search?sort=id%20asc&start=5000&rows=100"
load "datastore_search limit=100 (120-row release)" "/api/3/action/datastore_search?resource_id=$WATER&limit=100"
load "datastore_search filters + sort" "/api/3/action/datastore_search?resource_id=$WATER&filters=%7B%22street_code%22%3A%22330106001%22%7D&sort=month%20desc"
load "portal page /open?q=杭州" "/open?q=%E6%9D%AD%E5%B7%9E"
stop

echo "== a ~1 GB release: $BIG_ROWS rows of random text, ingested, published as catalogued"
start
ADMIN="$(token admin)"
ENTRY="$(curl -fs -X POST "$URL/api/v1/catalog" -H 'content-type: application/json' -H "Authorization: Bearer $ADMIN" -d '{
  "title": "基准测试大数据集", "description": "随机文本，仅用于下载吞吐量基准", "owner": "hz-water",
  "items": [{"name": "k", "label": "键", "data_type": "text", "grade": "L1"},
            {"name": "v", "label": "值", "data_type": "text", "grade": "L1"},
            {"name": "n", "label": "数", "data_type": "integer", "grade": "L1"}],
  "update_cycle": "monthly", "sharing": "unconditional", "open": "unconditional"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
python3 - "$DIR/big.csv" "$BIG_ROWS" <<'PY'
import os, sys
rows = int(sys.argv[2])
with open(sys.argv[1], "w") as f:
    f.write("k,v,n\n")
    for i in range(rows // 1000):
        block = os.urandom(40 * 1000).hex()
        f.write("".join(f"{block[j*80:j*80+40]},{block[j*80+40:j*80+80]},{i*1000+j}\n" for j in range(1000)))
PY
ls -l "$DIR/big.csv" | awk '{printf "csv: %.0f MB\n", $5/1e6}'
WATER_TOKEN="$(token water)"
t0=$(date +%s.%N)
"$BIN" ingest "$ENTRY" "$DIR/big.csv" --user water --data-dir "$DIR/data" --json >/dev/null
echo "ingest: $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
rm -f "$DIR/big.csv"
JOB="$(curl -fs -X POST "$URL/api/v1/catalog/$ENTRY/releases" -H 'content-type: application/json' -H "Authorization: Bearer $WATER_TOKEN" -d '{}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')"
started=$(date +%s.%N)
for _ in $(seq 1 3600); do
  state="$(curl -fs "$URL/api/v1/jobs/$JOB" -H "Authorization: Bearer $WATER_TOKEN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')"
  [ "$state" = succeeded ] && break
  [ "$state" = failed ] && { curl -fs "$URL/api/v1/jobs/$JOB" -H "Authorization: Bearer $WATER_TOKEN"; exit 1; }
  sleep 1
done
echo "publish job (scan, plan, write, hash): $(python3 -c "print(round($(date +%s.%N) - $started, 1))") s"
OBJECT="$(ls -S "$DIR"/data/datasets/releases/*/data.parquet | head -1)"
SIZE="$(stat -c %s "$OBJECT")"
echo "release object: $((SIZE / 1000000)) MB"
cat "$OBJECT" >/dev/null   # warm the page cache for both readers
for i in 1 2 3; do
  t0=$(date +%s.%N); cat "$OBJECT" >/dev/null; t1=$(date +%s.%N)
  echo "cat: $(python3 -c "print(round($SIZE / 1e6 / ($t1 - $t0)))") MB/s"
  curl -s -o /dev/null -w "GET data.parquet: %{speed_download} B/s, %{size_download} B\n" "$URL/open/$ENTRY/data.parquet" |
    python3 -c 'import sys; l=sys.stdin.read().split(); print("GET data.parquet:", round(float(l[2])/1e6), "MB/s,", round(int(l[4])/1e6), "MB")'
done
curl -s -o /dev/null -w "%{speed_download} %{size_download} %{time_total}\n" "$URL/open/$ENTRY/data.csv" |
  python3 -c 'import sys; s,n,t=sys.stdin.read().split(); print("GET data.csv (streamed from the plan):", round(float(s)/1e6), "MB/s,", round(int(n)/1e6), "MB in", round(float(t),1), "s")'
stop
