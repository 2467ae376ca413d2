#!/usr/bin/env bash
# Optional local check, not part of the test suite: renders helm/watchtower with Go's text/template
# and sprig (the template engine and function library Helm uses), with the default values and with
# every optional part enabled, and parses each output as YAML. Needs Debian's golang-go,
# golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev (no network at build time).
# It is not Helm: no chart loading, subcharts, schema validation or API checks.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# GOPATH mode over Debian's Go sources; the /v3 import paths point at Debian's unversioned folders.
mkdir -p "$work/gopath/src/render" "$work/gopath/src/github.com/Masterminds/sprig" "$work/gopath/src/github.com/Masterminds/semver"
ln -s /usr/share/gocode/src/github.com/Masterminds/sprig "$work/gopath/src/github.com/Masterminds/sprig/v3"
ln -s /usr/share/gocode/src/github.com/Masterminds/semver "$work/gopath/src/github.com/Masterminds/semver/v3"
cp "$here/main.go" "$work/gopath/src/render/"
(cd "$work/gopath/src/render" && GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/cache" go build -o "$work/render" .)

mkdir -p "$work/defaults" "$work/enabled"
echo "== default values"
"$work/render" "$root/helm/watchtower" "$work/defaults"
echo "== every optional part enabled"
"$work/render" "$root/helm/watchtower" "$work/enabled" "$here/../TestData/all-enabled-values.yaml"
