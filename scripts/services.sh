#!/usr/bin/env bash
# Private Redis and RabbitMQ instances on loopback for tests and local runs.
#   scripts/services.sh start DIR REDIS_PORT AMQP_PORT [CLUSTER_REDIS_PORT CLUSTER_AMQP_PORT]
#   scripts/services.sh stop DIR
# Always: one Redis (REDIS_PORT, AOF as in production) and one RabbitMQ node (AMQP_PORT, or none
# for "-"), as the suite has used them.
# With the two cluster ports, also the clustered engines production runs:
#   - RabbitMQ: a 3-node cluster on CLUSTER_AMQP_PORT, +1, +2 (distribution ports +20000), one
#     Erlang cookie (the rabbitmq user's), the nodes started in parallel, then joined to the first
#     with `rabbitmqctl join_cluster`; cluster_partition_handling = pause_minority.
#   - Redis: a primary (CLUSTER_REDIS_PORT) with one replica (+1), both AOF, watched by 3 Sentinels
#     (CLUSTER_REDIS_PORT+20000, +1, +2) under the service name "wt". Sentinel, not Redis Cluster:
#     the tower's store keeps its shared indexes under one hash tag ({ix}), so a Redis Cluster would
#     put all index traffic on one master anyway; a primary with replicas gives WAIT its replica,
#     Sentinel gives automatic failover, and it takes 5 light processes instead of 6 cluster nodes.
#   The addresses are written to DIR/cluster.env (shell assignments; scripts/test.sh exports them).
# DIR holds Redis' data, logs, configuration and every pid file. RabbitMQ runs as user rabbitmq,
# which cannot reach a DIR under /root or a 0700 `mktemp -d`, so its nodes live in a private 0755
# folder under /tmp (named in DIR/rabbit.home), removed by stop. Installs the Debian packages if
# missing. A start that fails stops whatever it had started; stop stops everything DIR names.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?state directory}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
nodes_file="$dir/rabbit.nodes"   # one "NODENAME PIDFILE" line per RabbitMQ node started
home_file="$dir/rabbit.home"
sentinel_service=wt

install_missing() {
  local need=()
  command -v redis-server >/dev/null || need+=(redis-server)
  command -v rabbitmq-server >/dev/null || need+=(rabbitmq-server)
  if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
}

rabbit_home() {
  if [ ! -f "$home_file" ]; then
    local home; home=$(mktemp -d /tmp/wt-rabbit.XXXXXX)
    chmod 755 "$home"; chown rabbitmq:rabbitmq "$home"
    echo "$home" > "$home_file"
  fi
  cat "$home_file"
}

# Launches one RabbitMQ node in the background (its own name, ports, data, logs and configuration).
launch_rabbit() {
  local amqp_port=$1 node="wt-$1@localhost" dist_port=$(( $1 + 20000 ))
  local base; base="$(rabbit_home)/$node"
  mkdir -p "$base/mnesia" "$base/log"
  echo "[]." > "$base/enabled_plugins"
  printf '%s\n' "cluster_partition_handling = pause_minority" > "$base/rabbitmq.conf"
  chown -R rabbitmq:rabbitmq "$base"
  echo "$node $base/$node.pid" >> "$nodes_file"
  su rabbitmq -s /bin/sh -c "exec env HOME=/var/lib/rabbitmq \
    RABBITMQ_NODENAME=$node RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT=$amqp_port RABBITMQ_DIST_PORT=$dist_port \
    RABBITMQ_MNESIA_BASE=$base/mnesia RABBITMQ_LOG_BASE=$base/log RABBITMQ_PID_FILE=$base/$node.pid \
    RABBITMQ_CONFIG_FILE=$base/rabbitmq.conf RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins \
    rabbitmq-server" >"$base/stdout.log" 2>&1 &
}

await_rabbit() {
  local node="wt-$1@localhost"
  for _ in $(seq 1 90); do
    rabbitmqctl -q -n "$node" await_startup --timeout 2 >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "rabbitmq $node did not start; see $(rabbit_home)/$node" >&2
  tail -20 "$(rabbit_home)/$node/stdout.log" >&2
  return 1
}

# Writes a Redis configuration file and starts the server from it (tests restart a killed node
# from the same file, DIR/redis-PORT.conf).
launch_redis() {
  local port=$1 extra=${2:-}
  mkdir -p "$dir/redis-$port"
  cat > "$dir/redis-$port.conf" <<EOF
bind 127.0.0.1
port $port
daemonize yes
pidfile $dir/redis-$port.pid
logfile $dir/redis-$port.log
dir $dir/redis-$port
save ""
appendonly yes
$extra
EOF
  redis-server "$dir/redis-$port.conf"
}

launch_sentinel() {
  local port=$1 primary=$2
  mkdir -p "$dir/sentinel-$port"
  # Sentinel rewrites its file with what it learns (replicas, peers, epochs), so it is its own.
  cat > "$dir/sentinel-$port.conf" <<EOF
bind 127.0.0.1
port $port
daemonize yes
pidfile $dir/sentinel-$port.pid
logfile $dir/sentinel-$port.log
dir $dir/sentinel-$port
sentinel monitor $sentinel_service 127.0.0.1 $primary 2
sentinel down-after-milliseconds $sentinel_service 1000
sentinel failover-timeout $sentinel_service 5000
sentinel parallel-syncs $sentinel_service 1
EOF
  redis-server "$dir/sentinel-$port.conf" --sentinel
}

# Until every Sentinel sees the primary, its replica and the two other Sentinels.
await_sentinels() {
  local s
  for s in "$@"; do
    for _ in $(seq 1 100); do
      local info; info=$(redis-cli -p "$s" sentinel master "$sentinel_service" 2>/dev/null | paste -sd' ' || true)
      [[ "$info" == *"num-slaves 1 "* && "$info" == *"num-other-sentinels 2 "* ]] && continue 2
      sleep 0.2
    done
    echo "sentinel $s does not see the replica and its peers" >&2; return 1
  done
}

start() {
  local redis_port=$1 amqp_port=$2 credis=${3:-} camqp=${4:-}
  if [ -n "$credis" ] && [ -z "$camqp" ]; then echo "the cluster needs both CLUSTER_REDIS_PORT and CLUSTER_AMQP_PORT" >&2; exit 2; fi
  install_missing
  trap 'rc=$?; [ $rc -eq 0 ] || { echo "start failed: stopping what started" >&2; stop; }' EXIT
  chmod 755 "$dir"

  local ports=()
  [ "$amqp_port" != - ] && ports+=("$amqp_port")
  [ -n "$camqp" ] && ports+=("$camqp" $((camqp + 1)) $((camqp + 2)))
  # A busy port would let a node fail to start while another answers under the same name.
  local all=("$redis_port") p
  for p in "${ports[@]}"; do all+=("$p" $((p + 20000))); done
  [ -n "$credis" ] && all+=("$credis" $((credis + 1)) $((credis + 20000)) $((credis + 20001)) $((credis + 20002)))
  if [ "$(printf '%s\n' "${all[@]}" | sort | uniq -d)" != "" ]; then echo "ports overlap: ${all[*]}" >&2; exit 2; fi
  for p in "${all[@]}"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "port $p is already in use" >&2; exit 2; fi
  done
  # Every node boots at once (the slow part); Redis starts meanwhile.
  for p in "${ports[@]}"; do launch_rabbit "$p"; done

  launch_redis "$redis_port"
  if [ -n "$credis" ]; then
    launch_redis "$credis"
    launch_redis $((credis + 1)) "replicaof 127.0.0.1 $credis"
    for s in $((credis + 20000)) $((credis + 20001)) $((credis + 20002)); do launch_sentinel "$s" "$credis"; done
  fi

  local waits=()
  for p in "${ports[@]}"; do await_rabbit "$p" & waits+=($!); done
  for w in "${waits[@]}"; do wait "$w" || exit 1; done
  redis-cli -p "$redis_port" ping >/dev/null
  echo "== redis 127.0.0.1:$redis_port"
  [ "$amqp_port" != - ] && echo "== rabbitmq amqp://127.0.0.1:$amqp_port (wt-$amqp_port@localhost)"

  if [ -n "$camqp" ]; then
    local first="wt-$camqp@localhost" uris=() names=()
    # Both join at once (each CLI call boots an Erlang VM, so in series this is the slow part).
    local joins=()
    for p in $((camqp + 1)) $((camqp + 2)); do
      ( rabbitmqctl -q -n "wt-$p@localhost" stop_app >/dev/null \
        && rabbitmqctl -q -n "wt-$p@localhost" join_cluster "$first" >/dev/null \
        && rabbitmqctl -q -n "wt-$p@localhost" start_app >/dev/null ) &
      joins+=($!)
    done
    for j in "${joins[@]}"; do wait "$j" || { echo "a rabbitmq node did not join $first" >&2; exit 1; }; done
    for p in "$camqp" $((camqp + 1)) $((camqp + 2)); do
      uris+=("amqp://guest:guest@127.0.0.1:$p/"); names+=("wt-$p@localhost")
    done
    local running; running=$(rabbitmqctl -q -n "$first" eval 'length(rabbit_nodes:all_running()).')
    [ "$running" = 3 ] || { echo "rabbitmq cluster has $running running nodes, not 3" >&2; exit 1; }
    await_sentinels $((credis + 20000)) $((credis + 20001)) $((credis + 20002))
    local sentinels="127.0.0.1:$((credis + 20000)),127.0.0.1:$((credis + 20001)),127.0.0.1:$((credis + 20002))"
    {
      echo "WATCHTOWER_TEST_RABBITMQ_CLUSTER=$(IFS=,; echo "${uris[*]}")"
      echo "WATCHTOWER_TEST_RABBITMQ_NODES=$(IFS=,; echo "${names[*]}")"
      echo "WATCHTOWER_TEST_REDIS_SENTINEL=$sentinels,serviceName=$sentinel_service"
      echo "WATCHTOWER_TEST_REDIS_REPLICA=127.0.0.1:$((credis + 1))"
      echo "WATCHTOWER_TEST_SERVICES_DIR=$dir"
    } > "$dir/cluster.env"
    echo "== rabbitmq cluster ${names[*]} on amqp ports $camqp-$((camqp + 2))"
    echo "== redis primary 127.0.0.1:$credis, replica 127.0.0.1:$((credis + 1)), sentinels $sentinels (service $sentinel_service)"
  fi
  trap - EXIT
}

stop() {
  set +e
  local pidfile node pf
  for pidfile in "$dir"/redis-*.pid "$dir"/sentinel-*.pid; do
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    rm -f "$pidfile"
  done
  if [ -f "$nodes_file" ]; then
    # In parallel: each stop waits for its node to halt.
    while read -r node pf; do
      ( rabbitmqctl -q -n "$node" stop >/dev/null 2>&1 || { [ -f "$pf" ] && kill "$(cat "$pf")" 2>/dev/null; } ) &
    done < "$nodes_file"
    wait
    # A killed node may still be exiting: its files go only once it has.
    while read -r node pf; do
      for _ in $(seq 1 20); do [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null || break; sleep 0.5; done
    done < "$nodes_file"
  fi
  [ -f "$home_file" ] && rm -rf "$(cat "$home_file")"
  rm -f "$nodes_file" "$home_file" "$dir/cluster.env"
  return 0
}

case "$cmd" in
  start) start "${3:?redis port}" "${4:?amqp port}" "${5:-}" "${6:-}" ;;
  stop) stop ;;
  *) echo "usage: $0 start DIR REDIS_PORT AMQP_PORT [CLUSTER_REDIS_PORT CLUSTER_AMQP_PORT] | stop DIR" >&2; exit 2 ;;
esac
