#!/usr/bin/env bash
# Benchmarks `berth runtime run` of a /bin/true bundle against Debian's `crun run` of the same
# bundle (same config.json: Berth's defaults with user namespace and seccomp), side by side in one
# hyperfine run, then measures the resident memory of Berth's own processes per running container
# (the berth-init monitor; the `berth` CLI has exited by then).
# Run as root from the repository: bash Benchmarks/runtime.sh   (BERTH=path/to/berth to override)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BERTH=${BERTH:-$( [ -x .build/release/berth ] && echo .build/release/berth || echo .build/debug/berth )}
[ -x "$BERTH" ] || { echo "build berth first (swift build -c release --static-swift-stdlib)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "hyperfine is not installed" >&2; exit 1; }
command -v crun >/dev/null || { echo "crun is not installed (apt-get install crun)" >&2; exit 1; }

# crun 1.8 refuses hybrid cgroup hosts where any controller sits on the v2 hierarchy ("drop all
# controllers from cgroupv2"). On this VM only hugetlb does; bind it to a v1 hierarchy for the
# run and give it back afterwards.
hugetlb_mounted=
if grep -qxs hugetlb /sys/fs/cgroup/unified/cgroup.controllers; then
  mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && hugetlb_mounted=1
fi

work=$(mktemp -d /tmp/berth-bench-XXXXXX)
trap 'if [ -n "$hugetlb_mounted" ]; then umount /sys/fs/cgroup/hugetlb; rmdir /sys/fs/cgroup/hugetlb; fi; crun --root "$work/crun" delete -f bench-idle >/dev/null 2>&1 || true; "$BERTH" runtime --root "$work/state" delete --force bench-idle >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
mkdir -p "$work/bundle/rootfs/bin" "$work/bundle/rootfs/proc" "$work/bundle/rootfs/sys" "$work/bundle/rootfs/dev"
cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
ln -s busybox "$work/bundle/rootfs/bin/true"
ln -s busybox "$work/bundle/rootfs/bin/sleep"
"$BERTH" runtime spec --bundle "$work/bundle"
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
spec["process"]["args"] = ["/bin/true"]
json.dump(spec, open(path, "w"))
PY

echo "== berth runtime run vs crun run: /bin/true bundle ($BERTH)"
hyperfine --warmup 5 --runs "${RUNS:-50}" -N --export-json "$work/hyperfine.json" \
  -n "berth runtime run" "$BERTH runtime --root $work/state run --bundle $work/bundle bench" \
  -n "crun run" "crun --root $work/crun run --bundle $work/bundle bench"
python3 - "$work/hyperfine.json" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
berth, crun = results["berth runtime run"]["median"], results["crun run"]["median"]
print(f"median: berth {berth*1000:.1f} ms, crun {crun*1000:.1f} ms, ratio {berth/crun:.2f}x (goal: <= 1.2x)")
PY

echo "== resident memory of Berth's processes per running container"
python3 - "$work/bundle/config.json" <<'PY'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
spec["process"]["args"] = ["/bin/sleep", "30"]
json.dump(spec, open(path, "w"))
PY
"$BERTH" runtime --root "$work/state" run --detach --bundle "$work/bundle" bench-idle
monitor=$(python3 -c "import json;print(json.load(open('$work/state/bench-idle/state.json'))['monitorPid'])")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$monitor/status")
pss=$(awk '/^Pss:/ {sum += $2} END {print sum}' "/proc/$monitor/smaps_rollup")
echo "berth-init monitor (pid $monitor): VmRSS ${rss} KiB, PSS ${pss} KiB (goal: <= 2048 KiB); no other Berth process remains"
"$BERTH" runtime --root "$work/state" delete --force bench-idle
