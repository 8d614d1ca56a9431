#!/usr/bin/env bash
# Supervisor figures on a 50-service project (busybox loops, restart: always, as root):
#  - resident memory (VmRSS) of the project's supervisor, and of the 50 berth-init monitors it
#    relies on (the per-container processes podman would run conmon for);
#  - restart latency: kill -9 of a container's process → its new process exists (first restart,
#    which includes docker's 100 ms back-off), polled every 2 ms from the runtime's state file;
#  - CPU of the idle supervisor over IDLE seconds (utime+stime from /proc/PID/stat).
# Compares with conmon's RSS when podman is installed (see /work/shared/peers/run.sh).
#
#   bash Benchmarks/supervisor.sh        # SERVICES=50 IDLE=60 SAMPLES=5 BUILD=release
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SERVICES=${SERVICES:-50}
IDLE=${IDLE:-60}
SAMPLES=${SAMPLES:-5}
BUILD=${BUILD:-release}
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
swift build -c "$BUILD" --product berth >/dev/null
swift build -c "$BUILD" --product berth-init >/dev/null
BERTH=$PWD/.build/$BUILD/berth
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
sup_rss=$(rss_kib "$sup")
# Resident memory splits into the process's own (anonymous) pages and file pages of the binary and
# the Swift runtime and Foundation libraries, which every berth process maps and shares.
sup_anon=$(awk '/RssAnon/ {print $2}' "/proc/$sup/status")
sup_pss=$(awk '/^Pss:/ {print $2}' "/proc/$sup/smaps_rollup")
monitors=0; monitor_count=0
for state in "$BERTH_RUNTIME_DIR"/runtime/*/state.json; do
  m=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['monitorPid'])" "$state")
  monitors=$((monitors + $(rss_kib "$m"))); monitor_count=$((monitor_count + 1))
done

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

# Idle CPU.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
t0=$(ticks "$sup"); sleep "$IDLE"; t1=$(ticks "$sup")
cpu=$(python3 -c "print('%.2f' % (100.0 * ($t1 - $t0) / $hz / $IDLE))")

# The peer: one conmon per container under podman. A busybox rootfs imported as an image, the
# same number of containers started detached, their conmons' VmRSS summed.
conmon="podman not installed"
if command -v podman >/dev/null && [ "${PODMAN:-1}" = 1 ]; then
  rootfs=$(mktemp -d /tmp/berth-bench-rootfs.XXXX)
  mkdir -p "$rootfs/bin" && cp /bin/busybox "$rootfs/bin/busybox"
  tar -C "$rootfs" -c . | podman import -q - localhost/berth-bench-busybox >/dev/null
  rm -rf "$rootfs"
  names=()
  podman ps -a --format '{{.Names}}' | grep '^berth-bench-' | xargs -r podman rm -f -t 0 >/dev/null 2>&1 || true
  for i in $(seq -w 1 "$SERVICES"); do
    # This VM's root lacks CAP_SYS_RESOURCE: rlimits are capped at the current hard limits.
    if podman run -d --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)" --ulimit "nproc=$(ulimit -Hu):$(ulimit -Hu)" --name "berth-bench-$i" localhost/berth-bench-busybox /bin/busybox sleep 3600 >/dev/null 2>"$dir/podman.err"; then
      names+=("berth-bench-$i")
    else
      podman rm -f -t 0 "berth-bench-$i" >/dev/null 2>&1 || true
      break
    fi
  done
  if [ ${#names[@]} -gt 0 ]; then
    total=0
    for name in "${names[@]}"; do
      pid=$(podman inspect --format '{{.State.ConmonPid}}' "$name")
      total=$((total + $(rss_kib "$pid")))
    done
    conmon="${#names[@]} conmon processes, total VmRSS $((total / 1024)) MiB ($((total / ${#names[@]})) KiB each)"
    podman rm -f -t 0 "${names[@]}" >/dev/null 2>&1 || true
  else
    conmon="podman could not start a container here: $(head -c 300 "$dir/podman.err")"
  fi
fi
cat <<EOF2
build: $BUILD, services: $SERVICES
supervisor VmRSS: $((sup_rss / 1024)).$(( (sup_rss % 1024) * 10 / 1024 )) MiB ($sup_rss KiB), of which anonymous $((sup_anon / 1024)) MiB; PSS $((sup_pss / 1024)) MiB
berth-init monitors: $monitor_count, total VmRSS $((monitors / 1024)) MiB ($((monitors / monitor_count)) KiB each)
first-restart latency after kill -9 (ms): ${latencies[*]}
idle supervisor CPU over ${IDLE}s: ${cpu}%
conmon: $conmon
EOF2
