#!/usr/bin/env bash
# Pull benchmark: a ~200 MB, 5-layer image from a local docker-registry into an empty store,
# unpacked, with Berth and (when installed) podman, from the same registry.
# Usage: Benchmarks/pull.sh [BERTH_BINARY]   (default .build/release/berth)
# Prints MB/s for each, the berth/podman time ratio, and Berth's unpack speed.
set -euo pipefail
berth=${1:-.build/release/berth}
[ -x "$berth" ] || { echo "build first: swift build -c release --static-swift-stdlib --product berth" >&2; exit 2; }
berth=$(realpath "$berth")
work=$(mktemp -d /tmp/berth-bench.XXXXXX)
registry_pid=""
cleanup() { [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null; chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

layers=${LAYERS:-5}
layer_mb=${LAYER_MB:-48}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# Image: each layer holds incompressible data in a few files plus many small text files, so both
# the byte stream and per-entry costs show.
layout=$work/layout; mkdir -p "$layout/blobs/sha256"
blob() { local d s; d=$(sha256sum "$1" | cut -d' ' -f1); s=$(stat -c %s "$1"); mv "$1" "$layout/blobs/sha256/$d"; printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$d" "$s"; }
descs=""; diffs=""; history=""
for i in $(seq 1 "$layers"); do
  dir=$work/l$i; mkdir -p "$dir/data$i" "$dir/text$i"
  for f in 1 2 3 4; do head -c $((layer_mb * 1024 * 1024 / 5)) /dev/urandom >"$dir/data$i/blob$f"; done
  for f in $(seq 1 2000); do seq $f $((f + 300)) >"$dir/text$i/file$f.txt"; done
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf "$work/l$i.tar" .
  diffs+="${diffs:+,}\"sha256:$(sha256sum "$work/l$i.tar" | cut -d' ' -f1)\""
  gzip -1 -n "$work/l$i.tar"
  descs+="${descs:+,}$(blob "$work/l$i.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)"
  history+="${history:+,}{\"created_by\":\"layer $i\"}"
  rm -rf "$dir"
done
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' "$diffs" "$history" >"$work/config.json"
config=$(blob "$work/config.json" application/vnd.oci.image.config.v1+json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' "$config" "$descs" >"$work/manifest.json"
manifest=$(blob "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '{"schemaVersion":2,"manifests":[%s]}' "${manifest%\}},\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"}}" >"$layout/index.json"
compressed=$(du -sb "$layout/blobs" | cut -f1)

cat >"$work/registry.yml" <<YAML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/registry}}
http: {addr: 127.0.0.1:$port}
YAML
/usr/bin/docker-registry serve "$work/registry.yml" >/dev/null 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
skopeo --insecure-policy copy -q --dest-tls-verify=false "oci:$layout:latest" "docker://127.0.0.1:$port/bench/big:1"
image=127.0.0.1:$port/bench/big:1
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
rate() { awk -v b="$1" -v t="$2" 'BEGIN { printf "%.1f", b / 1000000 / t }'; }
now() { date +%s.%N; }

sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
start=$(now)
BERTH_DATA_DIR=$work/berth "$berth" image pull -q "$image"
berth_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
uncompressed=$(du -sb "$work/berth/images/layers" | cut -f1)

# Unpack alone: blobs present, layer directories removed.
chmod -R u+w "$work/berth/images/layers"; rm -rf "$work/berth/images/layers/sha256"/*
start=$(now)
BERTH_DATA_DIR=$work/berth "$berth" image pull -q "$image"
unpack_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')

echo "image: $layers layers, $(mb "$compressed") MB compressed, $(mb "$uncompressed") MB unpacked"
echo "berth pull+unpack: ${berth_s}s, $(rate "$compressed" "$berth_s") MB/s (compressed bytes)"
echo "berth unpack only: ${unpack_s}s, $(rate "$uncompressed" "$unpack_s") MB/s (uncompressed bytes)"

if command -v podman >/dev/null; then
  podman_flags=(--root "$work/podman/root" --runroot "$work/podman/run" --storage-driver overlay)
  sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
  start=$(now)
  podman "${podman_flags[@]}" pull -q --tls-verify=false "$image" >/dev/null
  podman_s=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
  podman "${podman_flags[@]}" rmi -a -f >/dev/null 2>&1 || true
  echo "podman pull:       ${podman_s}s, $(rate "$compressed" "$podman_s") MB/s (compressed bytes), $(podman --version)"
  echo "ratio berth/podman: $(awk -v a="$berth_s" -v b="$podman_s" 'BEGIN { printf "%.2f", a / b }') (<= 1.0 means Berth is at least as fast)"
else
  echo "podman not installed: no side-by-side figure (apt-get install podman to compare)"
fi
