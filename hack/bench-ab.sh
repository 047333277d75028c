#!/usr/bin/env bash
# bench-ab.sh OLD [NEW] — the render, webhook and fleet benchmarks of two
# revisions, run alternately (old, new, old, new) so that a machine's
# drift hits both alike. NEW defaults to the working tree. Each revision is
# checked out into a temporary git worktree and its test binaries are built
# once with `go test -c`; the fleet benchmark runs under /usr/bin/time.
# Output: one block per run, headed "=== round N old|new package".
set -euo pipefail
old=${1:?usage: hack/bench-ab.sh OLD [NEW]}
new=${2:-}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/old" >/dev/null 2>&1 || true; [ -n "$new" ] && git -C "$root" worktree remove --force "$work/new" >/dev/null 2>&1; rm -rf "$work"' EXIT
git -C "$root" worktree add --detach "$work/old" "$old" >/dev/null
if [ -n "$new" ]; then git -C "$root" worktree add --detach "$work/new" "$new" >/dev/null; else ln -s "$root" "$work/new"; fi
pkgs="renderer webhook/user internal/fleet"
for side in old new; do
  for p in $pkgs; do
    (cd "$work/$side" && go test -c -o "$work/bin/$side-${p//\//-}.test" "./$p")
  done
done
for round in 1 2; do
  for side in old new; do
    echo "=== round $round $side renderer"
    (cd "$work/$side/renderer" && "$work/bin/$side-renderer.test" -test.run '^$' -test.bench '^BenchmarkRender$' -test.benchmem -test.benchtime 3s -test.count 2)
    echo "=== round $round $side webhook/user"
    (cd "$work/$side/webhook/user" && "$work/bin/$side-webhook-user.test" -test.run '^$' -test.bench Review -test.benchmem -test.benchtime 2s)
    echo "=== round $round $side internal/fleet"
    (cd "$work/$side/internal/fleet" && /usr/bin/time -f 'time: %e s wall, %U user, %S sys, %M KiB maxrss' \
      "$work/bin/$side-internal-fleet.test" -test.run '^$' -test.bench 'BenchmarkInventory1000$' -test.benchtime 3x) 2>&1
  done
done
