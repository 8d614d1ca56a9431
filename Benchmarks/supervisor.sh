#!/usr/bin/env bash
# Supervisor figures on a 50-service project (busybox loops, restart: always, as root):
#  - resident memory (VmRSS) of the project's supervisor, and of the 50 berth-init monitors it
#    relies on (the per-container processes podman would run conmon for);
#  - restart latency: kill -9 of a container's process → its new process exists (first restart,
#    which includes docker's 100 ms back-off), polled every 2 ms from the runtime's state file;
#  - CPU of the idle supervisor over IDLE seconds (utime+stime from /proc/PID/stat).
# Compares with conmon's RSS when podman is installed (see /work/shared/peers/run.sh).
# Memory is given as VmRSS (every page mapped, shared library pages included), PSS (shared pages
# divided among the processes mapping them) and USS (pages only this process maps: what killing
# it would free), summed over the process set for the per-container monitors and for conmon.
# The supervisor's memory is read three times: settled after `up`, after the restarts, and after
# the idle minute (its housekeeping look at the store ran once by then).
#
#   bash Benchmarks/supervisor.sh        # SERVICES=50 IDLE=60 SAMPLES=5 BUILD=release
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SERVICES=${SERVICES:-50}
IDLE=${IDLE:-60}
SAMPLES=${SAMPLES:-5}
BUILD=${BUILD:-release}
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
# Release builds link the Swift runtime statically, as the README builds them (see README).
STATIC=(); [ "$BUILD" = release ] && STATIC=(--static-swift-stdlib)
# SCRATCH: a build directory other than .build (a release build beside a debug one in use).
SCRATCH=${SCRATCH:-$PWD/.build}
swift build -c "$BUILD" "${STATIC[@]}" --scratch-path "$SCRATCH" --product berth >/dev/null
swift build -c "$BUILD" "${STATIC[@]}" --scratch-path "$SCRATCH" --product berth-init >/dev/null
BERTH=$SCRATCH/$BUILD/berth
IMAGES=${IMAGES:-/tmp/berth-engine-images}
[ -f "$IMAGES/busybox/index.json" ] || bash Tests/ImagesTests/Fixtures/build-images.sh "$IMAGES" >/dev/null

dir=$(mktemp -d /tmp/berth-bench-supervisor.XXXX)
export BERTH_DATA_DIR=$dir/data BERTH_RUNTIME_DIR=$dir/run
project=benchsup
{
  echo "name: $project"
  echo "services:"
  for i in $(seq -w 1 "$SERVICES"); do
    cat <<YAML
  s$i:
    image: oci:$IMAGES/busybox
    command: ["sh", "-c", "trap 'exit 0' TERM; while true; do busybox sleep 1 & wait; done"]
    restart: always
YAML
  done
} > "$dir/compose.yaml"
cleanup() { (cd "$dir" && "$BERTH" down -t 1 >/dev/null 2>&1) || true; rm -rf "$dir"; }
trap cleanup EXIT

cd "$dir"
"$BERTH" up -d >/dev/null
for _ in $(seq 100); do [ -s "$BERTH_RUNTIME_DIR/supervisors/$project.pid" ] && break; sleep 0.1; done
sup=$(cat "$BERTH_RUNTIME_DIR/supervisors/$project.pid")
sleep 2
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# "VmRSS RssAnon PSS USS" in KiB for a set of pids (summed).
memory() {
  local rss=0 anon=0 pss=0 uss=0 pid
  for pid in "$@"; do
    read -r r a < <(awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} END {print r, a}' "/proc/$pid/status")
    read -r p u < <(awk '/^Pss:/ {p=$2} /^Private_(Clean|Dirty):/ {u+=$2} END {print p, u}' "/proc/$pid/smaps_rollup")
    rss=$((rss + r)); anon=$((anon + a)); pss=$((pss + p)); uss=$((uss + u))
  done
  echo "$rss $anon $pss $uss"
}
mib() { python3 -c "print('%.1f' % ($1 / 1024))"; }
describe() {  # "VmRSS x MiB, anonymous y, PSS z, USS w" from memory's output
  set -- $1
  echo "VmRSS $(mib "$1") MiB, anonymous $(mib "$2") MiB, PSS $(mib "$3") MiB, USS $(mib "$4") MiB"
}
sup_settled=$(memory "$sup")
monitor_pids=()
for state in "$BERTH_RUNTIME_DIR"/runtime/*/state.json; do
  monitor_pids+=("$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['monitorPid'])" "$state")")
done
monitor_count=${#monitor_pids[@]}
monitors=$(memory "${monitor_pids[@]}")

# Restart latency: first restart of SAMPLES different services.
latencies=()
ids=$("$BERTH" ps -q | awk -v n="$SAMPLES" 'NR <= n')
for id in $ids; do
  state=$BERTH_RUNTIME_DIR/runtime/$id/state.json
  old=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['pid'])" "$state")
  ms=$(python3 - "$state" "$old" <<'PY'
import json, os, signal, sys, time
path, old = sys.argv[1], int(sys.argv[2])
start = time.monotonic()
os.kill(old, signal.SIGKILL)
while time.monotonic() - start < 30:
    try:
        pid = json.load(open(path))['pid']
        if pid != old and os.path.exists(f'/proc/{pid}'):
            print('%.0f' % ((time.monotonic() - start) * 1000)); sys.exit(0)
    except (OSError, ValueError, KeyError):
        pass
    time.sleep(0.002)
print('timeout'); sys.exit(1)
PY
)
  latencies+=("$ms")
done

sup_after_restarts=$(memory "$sup")

# Idle CPU.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks "$sup"); sleep "$IDLE"; t1=$(ticks "$sup")
cpu=$(python3 -c "print('%.2f' % (100.0 * ($t1 - $t0) / $hz / $IDLE))")
sup_idle=$(memory "$sup")

# The peer: one conmon per container under podman. A busybox rootfs imported as an image, the
# same number of containers started detached, their conmons' memory summed. On this VM podman needs
# /etc/containers/containers.conf with default_ulimits at the hard limits (root lacks
# CAP_SYS_RESOURCE; see /work/shared/peers/run.sh): an explicit --ulimit above them fails in crun.
conmon="podman not installed"
[ "${PODMAN:-1}" = 1 ] || conmon="not measured (PODMAN=0)"
if command -v podman >/dev/null && [ "${PODMAN:-1}" = 1 ]; then
  rootfs=$(mktemp -d /tmp/berth-bench-rootfs.XXXX)
  mkdir -p "$rootfs/bin" && cp /bin/busybox "$rootfs/bin/busybox"
  tar -C "$rootfs" -c . | podman import -q - localhost/berth-bench-busybox >/dev/null
  rm -rf "$rootfs"
  names=()
  podman ps -a --format '{{.Names}}' | grep '^berth-bench-' | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  for i in $(seq -w 1 "$SERVICES"); do
    if podman run -d --name "berth-bench-$i" localhost/berth-bench-busybox /bin/busybox sleep 3600 >/dev/null 2>"$dir/podman.err"; then
      names+=("berth-bench-$i")
    else
      podman rm -f -t 0 "berth-bench-$i" >/dev/null 2>&1 || true
      break
    fi
  done
  if [ ${#names[@]} -gt 0 ]; then
    conmon_pids=()
    for name in "${names[@]}"; do conmon_pids+=("$(podman inspect --format '{{.State.ConmonPid}}' "$name")"); done
    total=$(memory "${conmon_pids[@]}")
    conmon="${#names[@]} conmon processes, summed: $(describe "$total") ($(( $(echo "$total" | cut -d' ' -f1) / ${#names[@]} )) KiB VmRSS each)"
    podman rm -f -t 0 "${names[@]}" >/dev/null 2>&1 || true
  else
    conmon="podman could not start a container here: $(head -c 300 "$dir/podman.err")"
  fi
fi
cat <<EOF2
build: $BUILD, services: $SERVICES
supervisor, settled after up: $(describe "$sup_settled")
supervisor, after ${SAMPLES} restarts: $(describe "$sup_after_restarts")
supervisor, after ${IDLE}s idle: $(describe "$sup_idle")
berth-init monitors: $monitor_count, summed: $(describe "$monitors") ($(( $(echo "$monitors" | cut -d' ' -f1) / monitor_count )) KiB VmRSS each)
first-restart latency after kill -9 (ms): ${latencies[*]}
idle supervisor CPU over ${IDLE}s: ${cpu}%
conmon: $conmon
EOF2
