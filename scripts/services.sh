#!/usr/bin/env bash
# Private Redis and RabbitMQ instances on loopback for tests and local runs.
#   scripts/services.sh start DIR REDIS_PORT AMQP_PORT   (installs the Debian packages if missing)
#   scripts/services.sh stop DIR
# DIR holds their data, logs and pid files; nothing touches the system-wide instances.
# Redis runs with AOF as in production: the tower refuses a store that does not persist.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?state directory}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
node_file="$dir/rabbit.node"
# RabbitMQ runs as user rabbitmq, which may not traverse DIR's parents (a checkout under /root or a
# mktemp -d): its state lives in a private folder under /tmp, named here and removed by stop.
base_file="$dir/rabbit.base"

start() {
  local redis_port=$1 amqp_port=$2 dist_port=$(( $2 + 20000 ))
  local need=()
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v rabbitmq-server >/dev/null || need+=(rabbitmq-server)
  if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi

  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly yes --appendfsync everysec --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --dir "$dir"

  local rabbit node="wt-$amqp_port@localhost"
  rabbit=$(mktemp -d "/tmp/wt-rabbitmq-$amqp_port.XXXXXX")
  echo "$rabbit" > "$base_file"
  mkdir -p "$rabbit/mnesia" "$rabbit/log"
  echo "[]." > "$rabbit/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$rabbit"; chmod 700 "$rabbit"
  echo "$node" > "$node_file"
  su rabbitmq -s /bin/sh -c "exec env HOME=/var/lib/rabbitmq \
    RABBITMQ_NODENAME=$node RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$amqp_port RABBITMQ_DIST_PORT=$dist_port \
    RABBITMQ_MNESIA_BASE=$rabbit/mnesia RABBITMQ_LOG_BASE=$rabbit/log \
    RABBITMQ_ENABLED_PLUGINS_FILE=$rabbit/enabled_plugins rabbitmq-server" >"$rabbit/stdout.log" 2>&1 &
  echo $! > "$dir/rabbit.pid"
  for _ in $(seq 1 60); do
    rabbitmqctl -q -n "$node" await_startup --timeout 2 >/dev/null 2>&1 && break
    sleep 1
  done
  rabbitmqctl -q -n "$node" await_startup --timeout 5 >/dev/null \
    || { echo "rabbitmq did not start; see $rabbit" >&2; tail -20 "$rabbit/stdout.log" >&2; exit 1; }
  redis-cli -p "$redis_port" ping >/dev/null
  echo "== redis 127.0.0.1:$redis_port, rabbitmq amqp://127.0.0.1:$amqp_port ($node)"
}

stop() {
  set +e
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null
  if [ -f "$node_file" ]; then
    rabbitmqctl -q -n "$(cat "$node_file")" stop >/dev/null 2>&1 \
      || kill "$(cat "$dir/rabbit.pid" 2>/dev/null)" 2>/dev/null
  fi
  if [ -f "$base_file" ]; then
    local base; base=$(cat "$base_file")
    # Wait for the node to exit before removing its files.
    for _ in $(seq 1 20); do kill -0 "$(cat "$dir/rabbit.pid" 2>/dev/null)" 2>/dev/null || break; sleep 0.5; done
    case "$base" in */wt-rabbitmq-*) rm -rf "$base" ;; esac
  fi
  rm -f "$node_file" "$base_file" "$dir/redis.pid" "$dir/rabbit.pid"
  return 0
}

case "$cmd" in
  start) start "${3:?redis port}" "${4:?amqp port}" ;;
  stop) stop ;;
  *) echo "usage: $0 start DIR REDIS_PORT AMQP_PORT | stop DIR" >&2; exit 2 ;;
esac
