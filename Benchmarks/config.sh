#!/usr/bin/env bash
# Loader benchmark: `berth config -q` on generated projects of 100, 1,000 and 5,000 services
# (with anchors, merge keys, an override file and interpolation), release build; wall time by
# hyperfine, peak memory by GNU time. Compares with one run of `podman-compose config` (bounded
# by PEER_TIMEOUT seconds) when BENCH_PODMAN_COMPOSE names one (e.g. a venv's podman-compose).
#
#   bash Benchmarks/config.sh            # SIZES="100 1000 5000" RUNS=10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=${SIZES:-100 1000 5000}
RUNS=${RUNS:-10}
OUT=${OUT:-Benchmarks/results/config}
mkdir -p "$OUT"
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)"; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)"; exit 1; }
swift build -c release --static-swift-stdlib --product berth >/dev/null
BERTH=$PWD/.build/release/berth

generate() {  # generate N DIR
  python3 - "$1" "$2" <<'PY'
import os, sys
n, d = int(sys.argv[1]), sys.argv[2]
os.makedirs(d, exist_ok=True)
with open(os.path.join(d, 'compose.yaml'), 'w') as f:
    f.write('x-base: &base\n  image: "busybox:${TAG:-latest}"\n  restart: unless-stopped\n'
            '  environment:\n    LOG_LEVEL: info\n    REGION: ${REGION:-eu}\n  labels:\n    tier: bench\n')
    f.write('services:\n')
    for i in range(n):
        f.write(f'  s{i:05d}:\n    <<: *base\n    command: ["sh", "-c", "trap exit TERM; sleep 1000 & wait"]\n'
                f'    ports:\n      - "127.0.0.1:{20000 + i % 40000}:80"\n'
                f'    volumes:\n      - data{i % 10}:/data\n      - ./conf/s{i}:/etc/app:ro\n'
                f'    healthcheck:\n      test: ["CMD", "true"]\n      interval: 10s\n')
        if i >= 10:  # every service depends on one of ten base services, as stacks do
            f.write(f'    depends_on:\n      s{(i % 10):05d}:\n        condition: service_started\n')
    f.write('volumes:\n' + ''.join(f'  data{j}:\n' for j in range(10)))
with open(os.path.join(d, 'compose.override.yaml'), 'w') as f:
    f.write('services:\n')
    for i in range(0, n, 10):
        f.write(f'  s{i:05d}:\n    environment:\n      OVERRIDDEN: "yes"\n')
PY
}

printf '| services | berth median | berth peak RSS | podman-compose median | ratio |\n|---|---|---|---|---|\n' > "$OUT/summary.md"
for n in $SIZES; do
  dir=$(mktemp -d /tmp/berth-bench-config-$n.XXXX)
  generate "$n" "$dir"
  (cd "$dir" && "$BERTH" config -q) || { echo "berth config failed on $n services"; exit 1; }
  hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$OUT/berth-$n.json" "$BERTH --project-directory $dir config -q" >/dev/null
  median=$(python3 -c "import json;print('%.1f ms' % (json.load(open('$OUT/berth-$n.json'))['results'][0]['median']*1000))")
  rss=$( { /usr/bin/time -v "$BERTH" --project-directory "$dir" config -q; } 2>&1 | awk -F': ' '/Maximum resident/ {printf "%.1f MB", $2/1024}')
  peer="n/a"; ratio="n/a"
  if [ -n "${BENCH_PODMAN_COMPOSE:-}" ]; then
    # One timed run per size, bounded: podman-compose resolves dependencies slowly on big stacks.
    limit=${PEER_TIMEOUT:-120}
    start=$(date +%s.%N)
    if (cd "$dir" && timeout "$limit" $BENCH_PODMAN_COMPOSE config >/dev/null 2>&1); then
      seconds=$(echo "$(date +%s.%N) - $start" | bc)
      peer=$(python3 -c "print('%.1f ms' % ($seconds*1000))")
      ratio=$(python3 -c "import json;b=json.load(open('$OUT/berth-$n.json'))['results'][0]['median'];print('%.0fx faster' % ($seconds/b))")
    else
      peer="> ${limit} s (timed out)"
      ratio=$(python3 -c "import json;b=json.load(open('$OUT/berth-$n.json'))['results'][0]['median'];print('> %.0fx faster' % ($limit/b))")
    fi
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$n" "$median" "$rss" "$peer" "$ratio" >> "$OUT/summary.md"
  rm -rf "$dir"
done
cat "$OUT/summary.md"
