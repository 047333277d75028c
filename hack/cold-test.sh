#!/usr/bin/env bash
# cold-test.sh DIR: time `make test` as on a fresh machine. Clones HEAD into
# DIR/src and points every cache this project and Go use (tool cache, Go
# build and module caches, XDG_CACHE_HOME for golangci-lint) at new empty
# directories under DIR, then runs .ci/run there. Prints the commit, the
# wall time, user+sys CPU and the exit code; the output of the run is in
# DIR/run.log. Debian packages (make node-deps, make browser-deps) are
# machine-wide and stay installed. DIR must not exist yet.
set -euo pipefail
dir=${1:?usage: hack/cold-test.sh DIR (a new directory)}
if [[ -e $dir ]]; then
  echo "cold-test: $dir exists; give a new directory so no cache is reused" >&2
  exit 2
fi
repo=$(git rev-parse --show-toplevel)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
git clone --quiet --no-hardlinks "$repo" "$dir/src"
git -C "$dir/src" checkout --quiet "$(git -C "$repo" rev-parse HEAD)"
export CLUSTERBACKUP_CACHE=$dir/cache GOCACHE=$dir/go-build GOMODCACHE=$dir/mod XDG_CACHE_HOME=$dir/xdg
commit=$(git -C "$dir/src" rev-parse --short HEAD)
echo "cold-test: commit $commit, start $(date -u +%FT%TZ), log $dir/run.log"
start=$(date +%s)
rc=0
TIMEFORMAT='%R %U %S'
{ time (cd "$dir/src" && bash .ci/run >"$dir/run.log" 2>&1); } 2>"$dir/time" || rc=$?
read -r _ user sys <"$dir/time"
echo "cold-test: commit $commit exit $rc wall $(( $(date +%s) - start )) s, CPU user ${user} s + sys ${sys} s, end $(date -u +%FT%TZ)"
exit "$rc"
