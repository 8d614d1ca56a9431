#!/usr/bin/env bash
# Stack lifecycle benchmark (issue 6): berth's `up -d` cold, `up -d` unchanged, `up -d` after one
# service's environment changed, `down` and `ps`, on generated stacks of busybox services whose
# command exits on SIGTERM. Release build, as root, hyperfine medians; state in a temporary
# BERTH_DATA_DIR/BERTH_RUNTIME_DIR. The services' command traps TERM around an interruptible
# `wait` (a trap set while sh waits for a foreground `sleep` runs only when the sleep ends). Peer figures (podman-compose 1.6.0 on this VM, from the issue):
# cold up 10 = 2.9 s, unchanged up = 0.75 s, one change = 1.37 s, down = 2.1 s, ps = 0.38 s.
#
#   bash Benchmarks/stack.sh            # SIZES="1 10 50" RUNS=5
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=${SIZES:-1 10 50}
RUNS=${RUNS:-5}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (the rootless path is measured by the test suite)"; exit 1; }
swift build -c release >/dev/null
BERTH=$PWD/.build/release/berth
export BERTH_DATA_DIR=$(mktemp -d /tmp/berth-bench-data.XXXX) BERTH_RUNTIME_DIR=$(mktemp -d /tmp/berth-bench-run.XXXX)
bash Examples/images/build.sh >/dev/null
"$BERTH" image pull oci-archive:Examples/images/busybox.tar >/dev/null

median() { python3 -c "import json;print('%.0f ms' % (json.load(open('$1'))['results'][0]['median']*1000))"; }
printf '| services | cold up -d | unchanged up -d | one change | down | ps |\n|---|---|---|---|---|---|\n'
for n in $SIZES; do
  dir=$(mktemp -d /tmp/berth-bench-stack-$n.XXXX)
  python3 - "$n" "$dir" <<'PY'
import sys
n, d = int(sys.argv[1]), sys.argv[2]
with open(f'{d}/compose.yaml', 'w') as f:
    f.write('name: bench\nservices:\n')
    for i in range(n):
        f.write(f'  s{i:03d}:\n    image: busybox:latest\n    pull_policy: missing\n'
                f'    command: ["sh", "-c", "trap \'exit 0\' TERM; while true; do sleep 1 & wait; done"]\n'
                f'    environment:\n      BENCH_REV: "0"\n')
PY
  b="$BERTH --project-directory $dir"
  out=$(mktemp -d)
  hyperfine -N --runs "$RUNS" --prepare "$b down" --export-json "$out/cold.json" "$b up -d" >/dev/null
  hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$out/same.json" "$b up -d" >/dev/null
  # A new value every run (hyperfine's prepare runs under sh, which has no $RANDOM).
  hyperfine --runs "$RUNS" --prepare "sed -i '0,/BENCH_REV: \"[0-9]*\"/s//BENCH_REV: \"'\$(date +%N)'\"/' $dir/compose.yaml" \
    --export-json "$out/change.json" "$b up -d" >/dev/null
  hyperfine -N --runs "$RUNS" --warmup 2 --export-json "$out/ps.json" "$b ps" >/dev/null
  hyperfine -N --runs "$RUNS" --prepare "$b up -d" --export-json "$out/down.json" "$b down" >/dev/null
  printf '| %s | %s | %s | %s | %s | %s |\n' "$n" "$(median "$out/cold.json")" "$(median "$out/same.json")" \
    "$(median "$out/change.json")" "$(median "$out/down.json")" "$(median "$out/ps.json")"
  rm -rf "$dir" "$out"
done
rm -rf "$BERTH_DATA_DIR" "$BERTH_RUNTIME_DIR"
