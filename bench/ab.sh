#!/usr/bin/env bash
# A/B of server variants: alternates them, each on a fresh server process, under the same fanout load, and
# prints one line per run (deliveries/s, p50, p99, lost, server and bench CPU per delivery).
#
#   bench/ab.sh RATE REPEATS "label|server.jar|server options" ["label|server.jar|server options" ...]
#   bench/ab.sh 200000 3 "epoll|server/target/wschat-server.jar|" "uring|server/target/wschat-server.jar|--transport io_uring"
#
# Every run gets a fresh --data-dir (a temporary directory, removed after the run) unless the variant's options
# name one: a reused directory would replay the previous run's messages to the joining clients. A JAR without
# --data-dir (from before durable history) gets none.
#
# Environment: JVM_OPTS (server JVM options), BENCH_OPTS (more bench options), DIALECT (1), DUR (10 s),
# PORT (18282). Build the JARs first (docs/benchmarks.md, "Running it").
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 3 ] || { sed -n '2,13p' "$0"; exit 2; }
rate=$1; reps=$2; shift 2
port=${PORT:-18282}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for r in $(seq "$reps"); do
  for spec in "$@"; do
    IFS='|' read -r label jar sargs <<<"$spec"
    data=()
    case " $sargs " in
      *" --data-dir "*|*" --data-dir="*) ;;
      *) if timeout 20 java -jar "$jar" --help 2>/dev/null </dev/null | grep -q -- '--data-dir'; then
           data=(--data-dir "$(mktemp -d "$out/data.XXXXXX")")
         fi ;;
    esac
    # shellcheck disable=SC2086
    java ${JVM_OPTS:-} -jar "$jar" --host 127.0.0.1 --port "$port" --max-connections 0 \
      --max-connections-per-address 0 --connection-rate 0 --message-rate 0 "${data[@]}" $sargs \
      > "$out/server.log" 2>&1 &
    sp=$!
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
    load=$(cut -d' ' -f1 /proc/loadavg)
    # shellcheck disable=SC2086
    timeout 300 java -jar bench/target/wschat-bench.jar fanout --dialect "${DIALECT:-1}" --clients 1000 --senders 10 \
      --rate "$rate" --duration "${DUR:-10}" --warmup 4 ${BENCH_OPTS:-} --url "ws://127.0.0.1:$port/" \
      --server-pid "$sp" --out "$out" --name ab --quiet 1 > "$out/bench.txt" 2>&1 || true
    kill -TERM "$sp"; wait "$sp" || true
    if [ ${#data[@]} -gt 0 ]; then rm -rf "${data[1]}"; fi
    summary=$(python3 - "$out/ab.json" <<'PY' 2>&1 || true
import json, sys
r = json.load(open(sys.argv[1]))
s = r['steps'][-1]
line = ('got %(deliveries_per_sec)d/s p50 %(p50_ms).1f ms p99 %(p99_ms).1f ms lost %(lost)d dup %(duplicates)d '
        'server %(server_cpu_us_per_delivery).2f us/delivery bench %(bench_cpu_us_per_delivery).2f' % s)
if 'resumes' in r:
    line += (' | resumes %(resumes)d recovered:false %(resume_recovered_false)d p99 %(resume_latency_p99_ms).1f ms '
             'lost %(resume_lost)d dup %(resume_duplicates)d' % r)
print(line)
PY
)
    echo "$label run $r (load $load): $summary"
    rm -f "$out/ab.json"
  done
done
