#!/usr/bin/env bash
# Runs every test project of the solution against real servers started here on loopback:
# Redis and RabbitMQ (Debian packages, private instances) and the JS Stellar SDK oracle (npm).
# Prints one closing line "N passed, N failed[, N skipped]" and exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
run="$root/.test-run"
rm -rf "$run"; mkdir -p "$run/results"

redis_port=${WATCHTOWER_TEST_REDIS_PORT:-6390}
amqp_port=${WATCHTOWER_TEST_AMQP_PORT:-5683}
dist_port=$((amqp_port + 20000))

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v rabbitmq-server >/dev/null || need+=(rabbitmq-server)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts the packaged services on their default ports; we use private instances instead.
  (service rabbitmq-server stop; service redis-server stop) >/dev/null 2>&1 || true
fi

cleanup() {
  set +e
  [ -f "$run/redis.pid" ] && kill "$(cat "$run/redis.pid")" 2>/dev/null
  if [ -n "${RABBITMQ_NODENAME:-}" ]; then
    rabbitmqctl -n "$RABBITMQ_NODENAME" stop >/dev/null 2>&1 || kill "$(cat "$run/rabbit.pid" 2>/dev/null)" 2>/dev/null
  fi
}
trap cleanup EXIT

echo "== starting redis on 127.0.0.1:$redis_port"
redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --daemonize yes \
  --pidfile "$run/redis.pid" --logfile "$run/redis.log" --dir "$run"

echo "== starting rabbitmq on 127.0.0.1:$amqp_port"
rabbit="$run/rabbitmq"; mkdir -p "$rabbit/mnesia" "$rabbit/log"
chown -R rabbitmq:rabbitmq "$rabbit" 2>/dev/null || true
chmod 755 "$run"
export RABBITMQ_NODENAME="wt-test-$amqp_port@localhost"
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$amqp_port RABBITMQ_DIST_PORT=$dist_port
export RABBITMQ_MNESIA_BASE="$rabbit/mnesia" RABBITMQ_LOG_BASE="$rabbit/log"
export RABBITMQ_ENABLED_PLUGINS_FILE="$rabbit/enabled_plugins"
echo "[]." > "$rabbit/enabled_plugins"; chown rabbitmq:rabbitmq "$rabbit/enabled_plugins" 2>/dev/null || true
if id rabbitmq >/dev/null 2>&1; then
  su rabbitmq -s /bin/sh -c "env RABBITMQ_NODENAME=$RABBITMQ_NODENAME RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=$amqp_port RABBITMQ_DIST_PORT=$dist_port RABBITMQ_MNESIA_BASE=$rabbit/mnesia RABBITMQ_LOG_BASE=$rabbit/log RABBITMQ_ENABLED_PLUGINS_FILE=$rabbit/enabled_plugins HOME=/var/lib/rabbitmq rabbitmq-server" >"$rabbit/stdout.log" 2>&1 &
else
  rabbitmq-server >"$rabbit/stdout.log" 2>&1 &
fi
echo $! > "$run/rabbit.pid"

echo "== installing the JavaScript oracle (npm ci)"
(cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

echo "== building"
dotnet build Watchtower.sln -c Release -nologo -v q -clp:ErrorsOnly

for _ in $(seq 1 60); do
  rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup --timeout 2 >/dev/null 2>&1 && break
  sleep 1
done
rabbitmqctl -n "$RABBITMQ_NODENAME" await_startup --timeout 5 >/dev/null
export WATCHTOWER_TEST_REDIS="127.0.0.1:$redis_port"
export WATCHTOWER_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$amqp_port/"
export WATCHTOWER_ORACLE_DIR="$root/tests/oracle"

status=0
for proj in tests/*/*.Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  dotnet test "$proj" -c Release --no-build -nologo -v q \
    --logger "trx;LogFileName=$name.trx" --results-directory "$run/results" \
    --logger "console;verbosity=minimal" || status=1
done

passed=0 failed=0 skipped=0
for trx in "$run"/results/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
[ "$passed" -gt 0 ] || status=1
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] || status=1
exit $status
