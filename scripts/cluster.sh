#!/usr/bin/env bash
# A local cluster on loopback for trying the scale-out set-up (docs/operations.md, "Behind a load balancer"):
# redis-server (deploy/redis.conf), two wschat nodes sharing it, and nginx (deploy/nginx.conf) in front.
#
#   scripts/cluster.sh start     # needs the built JAR (README, "Run it"); then open http://127.0.0.1:8080/
#   scripts/cluster.sh status
#   scripts/cluster.sh stop      # SIGTERM to all (nodes drain with 1001), then removes nothing
#   scripts/cluster.sh clean     # stop, then delete cluster/ (history, Redis AOF, logs)
#
# Ports: nginx 8080 -> nodes 8081, 8082 (the ones deploy/nginx.conf names); Redis REDIS_PORT (6379).
# Everything lives under ./cluster/ (pids, logs, data). Needs redis-server and nginx (Debian packages:
# apt-get install redis-server nginx).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dir=$root/cluster
redis_port=${REDIS_PORT:-6379}
nodes=(8081 8082)
jar=server/target/wschat-server.jar
secret_file=$dir/session-secret

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

wait_port() { # port, what
  for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "cluster: $2 did not listen on port $1 (see $dir/*.log)" >&2
  return 1
}

start() {
  command -v redis-server >/dev/null || { echo "cluster: redis-server missing (apt-get install redis-server)" >&2; exit 1; }
  [ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || { echo "cluster: nginx missing (apt-get install nginx)" >&2; exit 1; }
  [ -f "$jar" ] || { echo "cluster: $jar is missing; build it first (README, \"Run it\")" >&2; exit 1; }
  mkdir -p "$dir/redis" "$dir/nginx/logs"
  # The nodes share one session secret, so a client's resumeToken works on whichever node it reaches.
  [ -f "$secret_file" ] || head -c 32 /dev/urandom | base64 > "$secret_file"
  if ! running "$dir/redis.pid"; then
    redis-server "$root/deploy/redis.conf" --port "$redis_port" --dir "$dir/redis" \
      --logfile "$dir/redis.log" --daemonize no > /dev/null 2>&1 &
    echo $! > "$dir/redis.pid"
    wait_port "$redis_port" redis-server
  fi
  for port in "${nodes[@]}"; do
    if ! running "$dir/node-$port.pid"; then
      mkdir -p "$dir/node-$port"
      WSCHAT_SESSION_SECRET=$(cat "$secret_file") java -jar "$jar" --host 127.0.0.1 --port "$port" \
        --redis "redis://127.0.0.1:$redis_port" --data-dir "$dir/node-$port" --trusted-proxies 127.0.0.1 \
        --unready-delay 2000 > "$dir/node-$port.log" 2>&1 &
      echo $! > "$dir/node-$port.pid"
    fi
  done
  for port in "${nodes[@]}"; do wait_port "$port" "node $port"; done
  if ! running "$dir/nginx/logs/nginx.pid"; then
    nginx -p "$dir/nginx" -c "$root/deploy/nginx.conf" > "$dir/nginx.log" 2>&1 &
    wait_port 8080 nginx
  fi
  status
  echo "cluster: open http://127.0.0.1:8080/ in two windows; scripts/cluster.sh stop to stop"
}

status() {
  printf '%-10s %s\n' redis "$(running "$dir/redis.pid" && echo "up, pid $(cat "$dir/redis.pid"), port $redis_port" || echo down)"
  for port in "${nodes[@]}"; do
    local ready
    ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready" 2>/dev/null || true)
    printf '%-10s %s\n' "node $port" "$(running "$dir/node-$port.pid" && echo "up, pid $(cat "$dir/node-$port.pid"), /ready $ready" || echo down)"
  done
  printf '%-10s %s\n' nginx "$(running "$dir/nginx/logs/nginx.pid" && echo "up, pid $(cat "$dir/nginx/logs/nginx.pid"), port 8080" || echo down)"
}

stop() {
  for f in "$dir/nginx/logs/nginx.pid" "$dir"/node-*.pid "$dir/redis.pid"; do
    if running "$f"; then
      kill -TERM "$(cat "$f")"
      for _ in $(seq 150); do running "$f" || break; sleep 0.1; done
    fi
    rm -f "$f"
  done
  echo "cluster: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  clean) stop; rm -rf "$dir" ;;
  *) echo "usage: $0 start|status|stop|clean" >&2; exit 2 ;;
esac
