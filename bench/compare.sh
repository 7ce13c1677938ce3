#!/usr/bin/env bash
# Compares wschat with the tutorial's Node.js server on this machine: starts each in turn on loopback,
# runs the same bench scenarios (tutorial dialect, which both speak) against it, stops it, and prints
# the ratio table (candidate = wschat, baseline = the tutorial's server). Each scenario runs on a fresh
# server process. Socket.IO (two nodes with its Redis adapter) and wschat's cluster set-ups (Redis, two nodes,
# nginx) are compared by bench/cluster-compare.sh.
#
#   bench/compare.sh                 # everything, results under bench-results/compare-<time>/
#   SCENARIOS="fanout ramp" bench/compare.sh
#   PEER=socketio SCENARIOS="fanout ramp" bench/compare.sh   # against one Socket.IO 4.8 node (bench/peer/)
#
# Settings (environment): PEER (tutorial | socketio: the baseline server), OUT, CLIENTS (1000), SENDERS (10), RATE (50000 deliveries/s for fanout),
# RAMP_START (25000), RAMP_FACTOR (1.25), STEP_SECONDS (5), CONNECTIONS (2000), CONN_RATE (2000),
# SCENARIOS ("fanout ramp connections"), PORT_OURS (18181), PORT_PEER (19000), SERVER_OPTS (JVM options),
# SERVER_ARGS (more wschat options, e.g. "--transport io_uring"), BENCH_ARGS (more bench options for both runs,
# e.g. "--transport epoll").
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${OUT:-bench-results/compare-$(date +%Y%m%d-%H%M%S)}
CLIENTS=${CLIENTS:-1000}
SENDERS=${SENDERS:-10}
RATE=${RATE:-50000}
RAMP_START=${RAMP_START:-25000}
RAMP_FACTOR=${RAMP_FACTOR:-1.25}
STEP_SECONDS=${STEP_SECONDS:-5}
CONNECTIONS=${CONNECTIONS:-2000}
CONN_RATE=${CONN_RATE:-2000}
SCENARIOS=${SCENARIOS:-"fanout ramp connections"}
PEER=${PEER:-tutorial}
case $PEER in tutorial|socketio) ;; *) echo "compare.sh: PEER must be tutorial or socketio: $PEER" >&2; exit 2 ;; esac
PORT_OURS=${PORT_OURS:-18181}
PORT_PEER=${PORT_PEER:-19000}
SERVER_OPTS=${SERVER_OPTS:-}
SERVER_ARGS=${SERVER_ARGS:-}
BENCH_ARGS=${BENCH_ARGS:-}

if [ ! -f server/target/wschat-server.jar ] || [ ! -f bench/target/wschat-bench.jar ]; then
  echo "compare.sh: build the JARs first (docs/benchmarks.md, \"Running it\"), or run ./scripts/test.sh" >&2
  exit 2
fi
if [ ! -d bench/peer/node_modules ]; then
  (cd bench/peer && npm ci --no-audit --no-fund --silent)
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
BENCH=(java -jar bench/target/wschat-bench.jar)

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "compare.sh: nothing listens on port $1" >&2
  return 1
}

stop() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

start_server() { # name port: starts the server, sets SERVER (the process to stop) and SERVER_PID (to read)
  if [ "$1" = tutorial ] || [ "$1" = socketio ]; then
    local script=server.js
    [ "$1" = socketio ] && script=socketio-server.js
    (cd bench/peer && unset REDIS_URL && PORT=$2 exec node "$script" >> "$OUT/$1-server.log" 2>&1) &
    SERVER=$!
    wait_port "$2"
    SERVER_PID=$(pgrep -P "$SERVER" node || echo "$SERVER")
  else
    # shellcheck disable=SC2086
    java $SERVER_OPTS -jar server/target/wschat-server.jar --host 127.0.0.1 --port "$2" \
      --max-connections 0 --max-connections-per-address 0 --connection-rate 0 --message-rate 0 $SERVER_ARGS \
      >> "$OUT/wschat-server.log" 2>&1 &
    SERVER=$!
    wait_port "$2"
    SERVER_PID=$SERVER
  fi
}

# Each scenario gets a fresh server: memory read after a ramp on the same process measures the ramp's
# garbage being given back, not the connections (it once read -464,850 bytes per connection).
run_scenarios() { # name port
  local name=$1 port=$2
  echo "== $name: load average $(cut -d' ' -f1-3 /proc/loadavg)${SERVER_ARGS:+ (wschat options: $SERVER_ARGS)}" \
    | tee -a "$OUT/load.txt"
  for s in $SCENARIOS; do
    start_server "$name" "$port"
    local common=(--dialect 1 --url "ws://127.0.0.1:$port/" --server-pid "$SERVER_PID" --out "$OUT" --quiet 1)
    # shellcheck disable=SC2206
    common+=($BENCH_ARGS)
    [ "$name" = wschat ] && common+=(--metrics-url "http://127.0.0.1:$port/metrics")
    if [ "$name" = socketio ]; then
      if [ "$s" = connections ]; then
        echo "compare.sh: the connections scenario speaks wschat's upgrade only; skipped for Socket.IO" >&2
        stop "$SERVER"; SERVER=; continue
      fi
      common+=(--wire socketio)
    fi
    case $s in
      fanout) "${BENCH[@]}" fanout "${common[@]}" --name "$name-fanout" --clients "$CLIENTS" --senders "$SENDERS" \
                --rate "$RATE" --duration 10 --warmup 5 ;;
      ramp) "${BENCH[@]}" ramp "${common[@]}" --name "$name-ramp" --clients "$CLIENTS" --senders "$SENDERS" \
                --start "$RAMP_START" --factor "$RAMP_FACTOR" --step-seconds "$STEP_SECONDS" --warmup 5 ;;
      connections) "${BENCH[@]}" connections "${common[@]}" --name "$name-connections" \
                --connections "$CONNECTIONS" --rate "$CONN_RATE" --hold 5 ;;
      *) echo "compare.sh: unknown scenario $s" >&2; stop "$SERVER"; return 2 ;;
    esac
    stop "$SERVER"
    SERVER=
  done
}

SERVER=
trap '[ -n "${SERVER:-}" ] && stop "$SERVER"' EXIT
run_scenarios "$PEER" "$PORT_PEER"
run_scenarios wschat "$PORT_OURS"
trap - EXIT

echo
echo "== ratio table (baseline: $PEER; candidate: wschat)"
args=()
for s in $SCENARIOS; do
  [ -f "$OUT/$PEER-$s.json" ] && args+=("$OUT/$PEER-$s.json" "$OUT/wschat-$s.json")
done
"${BENCH[@]}" compare "${args[@]}" | tee "$OUT/ratio.txt"
echo "results, charts (*.html) and logs: $OUT"
