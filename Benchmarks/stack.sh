#!/usr/bin/env bash
# Stack lifecycle benchmark (issue 6): berth's `up -d` cold, `up -d` unchanged, `up -d` after one
# service's environment changed, `down` and `ps`, on generated stacks of busybox services whose
# command exits on SIGTERM. Release build, as root, hyperfine medians; state in a temporary
# BERTH_DATA_DIR/BERTH_RUNTIME_DIR. The services' command traps TERM around an interruptible
# `wait` (a trap set while sh waits for a foreground `sleep` runs only when the sleep ends). Peer figures (podman-compose 1.6.0 on this VM, from the issue):
# cold up 10 = 2.9 s, unchanged up = 0.75 s, one change = 1.37 s, down = 2.1 s, ps = 0.38 s.
#
#   bash Benchmarks/stack.sh            # SIZES="1 10 50" RUNS=5 PEER_RUNS=3 (PEER= skips podman-compose)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=${SIZES:-1 10 50}
RUNS=${RUNS:-5}
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "run as root (the rootless path is measured by the test suite)"; exit 1; }
# SCRATCH: a build directory other than .build (a release build beside a debug one in use).
SCRATCH=${SCRATCH:-$PWD/.build}
swift build -c release --static-swift-stdlib --scratch-path "$SCRATCH" >/dev/null
BERTH=$SCRATCH/release/berth
export BERTH_DATA_DIR=$(mktemp -d /tmp/berth-bench-data.XXXX) BERTH_RUNTIME_DIR=$(mktemp -d /tmp/berth-bench-run.XXXX)
bash Examples/images/build.sh >/dev/null
"$BERTH" image pull oci-archive:Examples/images/busybox.tar >/dev/null

median_ms() { python3 -c "import json;print('%.0f' % (json.load(open('$1'))['results'][0]['median']*1000))"; }

# The peer: podman-compose (PEER, from PyPI in a virtual environment: python3 -m venv /tmp/pcvenv &&
# /tmp/pcvenv/bin/pip install podman-compose==1.6.0) over Debian's podman, on the same stacks with the
# same busybox image, when both are installed. PEER= skips it.
PEER=${PEER-$(command -v podman-compose || { [ -x /tmp/pcvenv/bin/podman-compose ] && echo /tmp/pcvenv/bin/podman-compose; } || true)}
PEER_RUNS=${PEER_RUNS:-3}
if [ -n "$PEER" ] && command -v podman >/dev/null; then
  podman pull -q oci-archive:Examples/images/busybox.tar >/dev/null 2>&1 &&
    podman tag "$(podman images -q --sort created | head -1)" docker.io/library/busybox:latest >/dev/null 2>&1 || PEER=
else
  PEER=
fi

# measure LABEL RUNS COMMAND-PREFIX DIR: hyperfine medians (ms) of cold up, unchanged up, one change, ps, down.
measure() {
  local label=$1 runs=$2 b=$3 dir=$4 out; out=$(mktemp -d)
  hyperfine -N -i --runs "$runs" --prepare "$b down" --export-json "$out/cold.json" "$b up -d" >/dev/null
  hyperfine -N --runs "$runs" --warmup 1 --export-json "$out/same.json" "$b up -d" >/dev/null
  # A new value every run (hyperfine's prepare runs under sh, which has no $RANDOM).
  hyperfine --runs "$runs" --prepare "sed -i '0,/BENCH_REV: \"[0-9]*\"/s//BENCH_REV: \"'\$(date +%N)'\"/' $dir/compose.yaml" \
    --export-json "$out/change.json" "$b up -d" >/dev/null
  hyperfine -N --runs "$runs" --warmup 2 --export-json "$out/ps.json" "$b ps" >/dev/null
  hyperfine -N --runs "$runs" --prepare "$b up -d" --export-json "$out/down.json" "$b down" >/dev/null
  echo "$(median_ms "$out/cold.json") $(median_ms "$out/same.json") $(median_ms "$out/change.json") $(median_ms "$out/down.json") $(median_ms "$out/ps.json")"
  rm -rf "$out"
}

printf '| services | tool | cold up -d | unchanged up -d | one change | down | ps |\n|---|---|---|---|---|---|---|\n'
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
  read -r -a berth <<< "$(measure berth "$RUNS" "$BERTH --project-directory $dir" "$dir")"
  "$BERTH" --project-directory "$dir" down >/dev/null 2>&1 || true
  printf '| %s | berth | %s ms | %s ms | %s ms | %s ms | %s ms |\n' "$n" "${berth[@]}"
  if [ -n "$PEER" ]; then
    read -r -a peer <<< "$(measure peer "$PEER_RUNS" "$PEER -f $dir/compose.yaml" "$dir")"
    "$PEER" -f "$dir/compose.yaml" down >/dev/null 2>&1 || true
    printf '| %s | podman-compose | %s ms | %s ms | %s ms | %s ms | %s ms |\n' "$n" "${peer[@]}"
    ratios=()
    for i in 0 1 2 3 4; do ratios+=("$(python3 -c "print('%.1f×' % (${peer[$i]} / max(${berth[$i]}, 1)))")"); done
    printf '| %s | ratio (peer ÷ berth) | %s | %s | %s | %s | %s |\n' "$n" "${ratios[@]}"
  fi
  rm -rf "$dir"
done
rm -rf "$BERTH_DATA_DIR" "$BERTH_RUNTIME_DIR"
