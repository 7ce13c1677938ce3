#!/usr/bin/env bash
# Compares wschat's cluster set-ups with Socket.IO's on this machine, in one run (issue 11): each line runs
# the same fan-out (one room of CLIENTS, SENDERS senders, a ramp or a fixed rate) on fresh processes, all on
# 127.0.0.1, and records deliveries/s, p99, lost / duplicated / out-of-order deliveries (every member's order
# is checked by the bench) and the CPU of every process over each measured step (utime + stime from
# /proc/PID/stat, read by the bench with --cpu-pid) as CPU µs per delivery.
#
#   embedded        one wschat node, no Redis (SQLite history in a fresh --data-dir)
#   redis           one wschat node with --redis
#   nodes           two wschat nodes sharing Redis, the bench's clients alternating between them (--url a,b)
#   nginx           two wschat nodes sharing Redis, every client through nginx (deploy/nginx.conf)
#   socketio        two Socket.IO nodes (bench/peer/socketio-server.js) with the Redis adapter, alternating
#   socketio-nginx  the same two Socket.IO nodes through the same nginx
#
# Redis, where a line has it, is a fresh redis-server with deploy/redis.conf (AOF, appendfsync always).
#
#   bench/cluster-compare.sh                          # every line, a ramp; bench-results/cluster-<time>/
#   MODE=fanout RATE=100000 LINES="nodes socketio" bench/cluster-compare.sh
#   CLIENTS=100 MODE=fanout RATE=5000 DURATION=3 WARMUP=1 bench/cluster-compare.sh   # a smoke run
#
# Settings (environment): OUT, LINES (all six above), MODE (ramp | fanout), CLIENTS (1000), SENDERS (10),
# DIALECT (1: the tutorial's protocol, as bench/compare.sh; 2 = wschat.v2), RATE (200000 deliveries/s, fanout),
# DURATION (10 s, fanout), RAMP_START (20000), RAMP_FACTOR (1.25), RAMP_MAX (2000000), STEP_SECONDS (5), WARMUP (5),
# P99_LIMIT_MS (100), STEP_RETRIES (1: a ramp step over the p99 limit, nothing lost, is run once more before the
# line ends), NGINX_WORKERS (worker_processes; default: deploy/nginx.conf's), SERVER_OPTS (JVM options
# of the nodes), SERVER_ARGS (more wschat options), BENCH_ARGS (more bench options), LINE_TIMEOUT (seconds one
# bench run may take, 900).
#
# Writes OUT/LINE.json and LINE.html (the bench's own results), OUT/summary.md and OUT/summary.json (the
# table), logs and each line's configuration under OUT/LINE/.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

OUT=${OUT:-bench-results/cluster-$(date +%Y%m%d-%H%M%S)}
LINES=${LINES:-"embedded redis nodes nginx socketio socketio-nginx"}
MODE=${MODE:-ramp}
CLIENTS=${CLIENTS:-1000}
SENDERS=${SENDERS:-10}
DIALECT=${DIALECT:-1}
RATE=${RATE:-200000}
DURATION=${DURATION:-10}
RAMP_START=${RAMP_START:-20000}
RAMP_FACTOR=${RAMP_FACTOR:-1.25}
RAMP_MAX=${RAMP_MAX:-2000000}
STEP_SECONDS=${STEP_SECONDS:-5}
WARMUP=${WARMUP:-5}
P99_LIMIT_MS=${P99_LIMIT_MS:-100}
NGINX_WORKERS=${NGINX_WORKERS:-}
SERVER_OPTS=${SERVER_OPTS:-}
SERVER_ARGS=${SERVER_ARGS:-}
BENCH_ARGS=${BENCH_ARGS:-}
LINE_TIMEOUT=${LINE_TIMEOUT:-900}
STEP_RETRIES=${STEP_RETRIES:-1}

fail() { echo "cluster-compare.sh: $*" >&2; exit 2; }
case $MODE in ramp|fanout) ;; *) fail "MODE must be ramp or fanout: $MODE" ;; esac
for l in $LINES; do
  case $l in embedded|redis|nodes|nginx|socketio|socketio-nginx) ;; *) fail "unknown line $l" ;; esac
done
[ -f server/target/wschat-server.jar ] && [ -f bench/target/wschat-bench.jar ] \
  || fail "build the JARs first (docs/benchmarks.md, \"Running it\")"
for cmd in redis-server nginx node python3; do
  command -v "$cmd" >/dev/null || [ -x "/usr/sbin/$cmd" ] || fail "$cmd is missing"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -d bench/peer/node_modules/socket.io ] || [ ! -d bench/peer/node_modules/@socket.io/redis-adapter ]; then
  (cd bench/peer && npm ci --no-audit --no-fund --silent)
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# Every process this script started, stopped at the end whatever happens.
PIDS=()
stop() { # pid: SIGTERM, then SIGKILL after 15 s
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
stop_all() {
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop "${PIDS[i]}"; done
  PIDS=()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # port what: at most 30 s
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  fail "$2 did not listen on port $1 (logs: $OUT)"
}

start_redis() { # dir: sets REDIS_PORT, REDIS_PID
  REDIS_PORT=$(free_port)
  mkdir -p "$1/redis"
  redis-server "$root/deploy/redis.conf" --port "$REDIS_PORT" --dir "$1/redis" --logfile "$1/redis.log" \
    --daemonize no > /dev/null 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_port "$REDIS_PORT" redis-server
}

start_wschat() { # dir name redis-url-or-empty: sets NODE_PORT, NODE_PID
  NODE_PORT=$(free_port)
  local store=(--data-dir "$1/$2-data")
  [ -n "$3" ] && store=(--redis "$3")
  # shellcheck disable=SC2086
  env -u REDIS_URL java $SERVER_OPTS -jar server/target/wschat-server.jar --host 127.0.0.1 --port "$NODE_PORT" \
    --max-connections 0 --max-connections-per-address 0 --connection-rate 0 --message-rate 0 "${store[@]}" \
    $SERVER_ARGS > "$1/$2.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  wait_port "$NODE_PORT" "wschat $2"
}

start_socketio() { # dir name redis-url: sets NODE_PORT, NODE_PID
  NODE_PORT=$(free_port)
  (cd bench/peer && PORT=$NODE_PORT REDIS_URL=$3 exec node socketio-server.js) > "$1/$2.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  wait_port "$NODE_PORT" "socketio $2"
}

start_nginx() { # dir port...: deploy/nginx.conf on a free port, its upstream the given ports; sets NGINX_PORT,
                # NGINX_PID (the master)
  local dir=$1/nginx
  shift
  NGINX_PORT=$(free_port)
  mkdir -p "$dir/logs"
  NGINX_PORT=$NGINX_PORT NGINX_WORKERS=$NGINX_WORKERS python3 - "$root/deploy/nginx.conf" "$dir/nginx.conf" "$@" <<'EOF'
import os, re, sys
src, dst, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
conf = open(src).read()
conf, n = re.subn(r"listen 127\.0\.0\.1:\d+", "listen 127.0.0.1:" + os.environ["NGINX_PORT"], conf, count=1)
m = re.search(r"(upstream wschat \{.*?)((?:\s*server 127\.0\.0\.1:\d+[^;]*;)+)", conf, re.S)
if n != 1 or not m:
    sys.exit("deploy/nginx.conf: no 'listen 127.0.0.1:PORT' or no 'server 127.0.0.1:PORT ...;' in upstream wschat")
options = re.sub(r"^server 127\.0\.0\.1:\d+", "", m.group(2).strip().split("\n")[0]).replace(";", "").strip()
servers = "".join("\n        server 127.0.0.1:%s%s;" % (p, " " + options if options else "") for p in ports)
conf = conf[:m.start(2)] + servers + conf[m.end(2):]
if os.environ.get("NGINX_WORKERS"):
    conf = re.sub(r"worker_processes [^;]+;", "worker_processes %s;" % os.environ["NGINX_WORKERS"], conf, count=1)
open(dst, "w").write(conf)
EOF
  "$NGINX" -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" > "$dir/stdout.log" 2>&1 &
  NGINX_PID=$!
  PIDS+=("$NGINX_PID")
  wait_port "$NGINX_PORT" nginx
}

# One line: fresh processes, one bench run, everything stopped again.
run_line() {
  local line=$1 dir=$OUT/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  local urls=() cpu=() wire=wschat redis_url="" kind=wschat nodes=2 i
  case $line in
    embedded) nodes=1 ;;
    redis) nodes=1 ;;
    socketio|socketio-nginx) kind=socketio; wire=socketio ;;
  esac
  if [ "$line" != embedded ]; then
    start_redis "$dir"
    redis_url=redis://127.0.0.1:$REDIS_PORT
    cpu+=(--cpu-pid "redis=$REDIS_PID")
  fi
  local ports=() first_pid=""
  for ((i = 1; i <= nodes; i++)); do
    "start_$kind" "$dir" "node-$i" "$redis_url"
    ports+=("$NODE_PORT")
    urls+=("ws://127.0.0.1:$NODE_PORT/")
    cpu+=(--cpu-pid "node-$i=$NODE_PID")
    [ -n "$first_pid" ] || first_pid=$NODE_PID
  done
  if [ "$line" = nginx ] || [ "$line" = socketio-nginx ]; then
    start_nginx "$dir" "${ports[@]}"
    urls=("ws://127.0.0.1:$NGINX_PORT/")
    cpu+=(--cpu-pid "nginx-master=$NGINX_PID")
    local workers="" w n=0
    for _ in $(seq 1 50); do
      workers=$(pgrep -P "$NGINX_PID" || true)
      [ -n "$workers" ] && break
      sleep 0.1
    done
    [ -n "$workers" ] || fail "nginx started no worker (see $dir/nginx/logs/error.log)"
    for w in $workers; do n=$((n + 1)); cpu+=(--cpu-pid "nginx-worker-$n=$w"); done
  fi
  local url
  url=$(IFS=,; echo "${urls[*]}")
  local load=(--clients "$CLIENTS" --senders "$SENDERS" --warmup "$WARMUP" --p99-limit-ms "$P99_LIMIT_MS")
  if [ "$MODE" = ramp ]; then
    load+=(--start "$RAMP_START" --factor "$RAMP_FACTOR" --max "$RAMP_MAX" --step-seconds "$STEP_SECONDS"
      --step-retries "$STEP_RETRIES")
  else
    load+=(--rate "$RATE" --duration "$DURATION")
  fi
  echo "== $line: load average $(cut -d' ' -f1-3 /proc/loadavg); $url" | tee -a "$OUT/load.txt"
  local rc=0
  # shellcheck disable=SC2086
  timeout -k 10 "$LINE_TIMEOUT" java -jar bench/target/wschat-bench.jar "$MODE" --wire "$wire" --dialect "$DIALECT" \
    --url "$url" --server-pid "$first_pid" "${cpu[@]}" "${load[@]}" --out "$OUT" --name "$line" --quiet 1 \
    $BENCH_ARGS > "$dir/bench.log" 2>&1 || rc=$?
  grep -E '^== (warmup|measure|step)' "$dir/bench.log" || true
  [ "$rc" = 0 ] || echo "cluster-compare.sh: $line: the bench exited with $rc (see $dir/bench.log)" >&2
  stop_all
}

started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
: > "$OUT/load.txt"
for line in $LINES; do run_line "$line"; done

STARTED=$started COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown) MODE=$MODE CLIENTS=$CLIENTS \
  SENDERS=$SENDERS DIALECT=$DIALECT RATE=$RATE DURATION=$DURATION RAMP_START=$RAMP_START RAMP_FACTOR=$RAMP_FACTOR \
  STEP_SECONDS=$STEP_SECONDS WARMUP=$WARMUP P99_LIMIT_MS=$P99_LIMIT_MS NGINX_WORKERS=$NGINX_WORKERS \
  python3 - "$OUT" $LINES <<'EOF'
import json, os, sys
out, lines = sys.argv[1], sys.argv[2:]
what = {
    "embedded": "wschat, 1 node, no Redis",
    "redis": "wschat, 1 node + Redis",
    "nodes": "wschat, 2 nodes + Redis, clients alternating",
    "nginx": "wschat, 2 nodes + Redis, through nginx",
    "socketio": "Socket.IO, 2 nodes + Redis adapter, alternating",
    "socketio-nginx": "Socket.IO, 2 nodes + Redis adapter, through nginx",
}
rows = []
for line in lines:
    path = os.path.join(out, line + ".json")
    if not os.path.exists(path):
        rows.append({"line": line, "what": what[line], "error": "no result (see %s/%s/bench.log)" % (out, line)})
        continue
    r = json.load(open(path))
    steps = [s for s in r.get("steps", []) if s["name"] != "warmup"]
    ok = [s for s in steps if s["sustainable"]]
    best = max(ok, key=lambda s: s["deliveries_per_sec"]) if ok else (steps[-1] if steps else None)
    if best is None:
        rows.append({"line": line, "what": what[line], "error": "no measured step"})
        continue
    per = dict(best.get("process_cpu_us_per_delivery", {}))
    per["bench"] = best["bench_cpu_us_per_delivery"]
    groups = {}
    for k, v in per.items():
        g = "nginx" if k.startswith("nginx") else k
        groups[g] = groups.get(g, 0.0) + (v if v >= 0 else float("nan"))
    rows.append({
        "line": line, "what": what[line], "step": best["name"], "sustainable": best["sustainable"],
        "offered_deliveries_per_sec": best["offered_deliveries_per_sec"],
        "deliveries_per_sec": best["deliveries_per_sec"],
        "sustainable_deliveries_per_sec": r.get("sustainable_deliveries_per_sec", 0),
        "p50_ms": best["p50_ms"], "p99_ms": best["p99_ms"], "max_ms": best["max_ms"],
        "lost": best["lost"], "duplicates": best["duplicates"], "out_of_order": best["out_of_order"],
        "cpu_us_per_delivery": per, "cpu_us_per_delivery_by_kind": groups,
        # the servers' side: nodes, nginx and Redis; the bench is the same client on every line
        "cpu_us_per_delivery_servers": sum(v for k, v in groups.items() if k != "bench"),
        "process_cpu_seconds": best.get("process_cpu_seconds", {}),
        "steps": len(steps), "clients": r.get("clients"), "senders": r.get("senders"),
    })
by_line = {row["line"]: row for row in rows if "error" not in row}
ratios = {}
for ours, theirs in (("nodes", "socketio"), ("nginx", "socketio-nginx")):
    if ours in by_line and theirs in by_line and by_line[theirs]["deliveries_per_sec"] > 0:
        ratios["%s / %s" % (ours, theirs)] = by_line[ours]["deliveries_per_sec"] / by_line[theirs]["deliveries_per_sec"]
settings = {k: os.environ.get(k) for k in ("MODE", "CLIENTS", "SENDERS", "DIALECT", "RATE", "DURATION", "RAMP_START",
                                           "RAMP_FACTOR", "STEP_SECONDS", "WARMUP", "P99_LIMIT_MS", "NGINX_WORKERS",
                                           "COMMIT", "STARTED")}
json.dump({"settings": settings, "rows": rows, "deliveries_ratios": ratios},
          open(os.path.join(out, "summary.json"), "w"), indent=2)

def f(v, d=2):
    return "n/a" if v is None or v != v else ("%.*f" % (d, v))
head = ("%s: one room of %s clients, %s senders, dialect %s, %s" % (
    settings["STARTED"], settings["CLIENTS"], settings["SENDERS"], settings["DIALECT"],
    "ramp from %s x %s per %s s step" % (settings["RAMP_START"], settings["RAMP_FACTOR"], settings["STEP_SECONDS"])
    if settings["MODE"] == "ramp" else "fanout at %s/s for %s s" % (settings["RATE"], settings["DURATION"])))
md = ["Cluster comparison, " + head + "; commit " + str(settings["COMMIT"]) + "; " + os.uname().nodename
      + " (" + str(os.cpu_count()) + " CPUs).", "",
      "| line | step | deliveries/s | p99 ms | lost / dup / ooo | CPU µs/delivery: nodes | nginx | redis | servers | bench |",
      "|---|---|---:|---:|---|---|---:|---:|---:|---:|"]
for row in rows:
    if "error" in row:
        md.append("| %s | %s | | | | | | | | |" % (row["what"], row["error"]))
        continue
    g = row["cpu_us_per_delivery_by_kind"]
    nodes = " + ".join(f(g[k]) for k in sorted(g) if k.startswith("node-"))
    md.append("| %s | %s%s | %s | %s | %d / %d / %d | %s | %s | %s | %s | %s |" % (
        row["what"], row["step"], "" if row["sustainable"] else " (not sustainable)",
        format(row["deliveries_per_sec"], ","), f(row["p99_ms"]), row["lost"], row["duplicates"],
        row["out_of_order"], nodes, f(g.get("nginx")), f(g.get("redis")), f(row["cpu_us_per_delivery_servers"]),
        f(g.get("bench"))))
if ratios:
    md.append("")
    md.append("Deliveries/s ratios: " + ", ".join("%s %.2f×" % (k, v) for k, v in ratios.items()) + ".")
if os.path.exists(os.path.join(out, "load.txt")):
    md.append("")
    md.append("Load average at each line's start: " + "; ".join(
        l.split(":")[0].lstrip("= ") + " " + l.split("load average ")[1].split(";")[0]
        for l in open(os.path.join(out, "load.txt")).read().splitlines() if "load average" in l) + ".")
text = "\n".join(md) + "\n"
open(os.path.join(out, "summary.md"), "w").write(text)
print()
print(text)
EOF
echo "results: $OUT (summary.md, summary.json, LINE.json / LINE.html, LINE/ with logs and configuration)"
