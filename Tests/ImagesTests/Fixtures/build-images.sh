#!/usr/bin/env bash
# Builds the test images offline as OCI image layouts, from Debian's busybox-static:
#   OUT/busybox        one gzip layer: busybox and a few applet links
#   OUT/multilayer     gzip base; zstd layer with a whiteout, an opaque dir and new files;
#                      plain tar layer with hard links
#   OUT/multiplatform  an OCI index with linux/amd64 (busybox) and linux/arm64 (a marker file)
# Usage: build-images.sh OUT. Needs tar, gzip, zstd, sha256sum. Deterministic: same bytes every run.
set -euo pipefail
out=$1
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "build-images.sh: $busybox missing (install busybox-static)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# deterministic tar of a directory's contents
pack() { tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf "$2" .; }

# blob LAYOUT FILE MEDIATYPE -> prints a descriptor and stores the blob
blob() {
  local digest size
  digest=$(sha256sum "$2" | cut -d' ' -f1); size=$(stat -c %s "$2")
  mkdir -p "$1/blobs/sha256"; cp "$2" "$1/blobs/sha256/$digest"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$3" "$digest" "$size"
}
diffid() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }

# image LAYOUT ARCH TAG "layerfile:mediatype:difffile"... -> prints the manifest descriptor
image() {
  local layout=$1 arch=$2 tag=$3; shift 3
  local layers="" diffs="" history="" spec file type plain
  for spec in "$@"; do
    IFS=: read -r file type plain <<<"$spec"
    layers+="${layers:+,}$(blob "$layout" "$file" "$type")"
    diffs+="${diffs:+,}\"$(diffid "$plain")\""
    history+="${history:+,}{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"build-images.sh $(basename "$file")\"}"
  done
  printf '{"architecture":"%s","os":"linux","created":"1970-01-01T00:00:00Z","config":{"Env":["PATH=/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
    "$arch" "$diffs" "$history" >"$work/config.json"
  local config; config=$(blob "$layout" "$work/config.json" application/vnd.oci.image.config.v1+json)
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
    "$config" "$layers" >"$work/manifest.json"
  blob "$layout" "$work/manifest.json" application/vnd.oci.image.manifest.v1+json
}

index() { # LAYOUT JSON-ENTRIES
  echo '{"imageLayoutVersion":"1.0.0"}' >"$1/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$2" >"$1/index.json"
}
tagged() { echo "${1%\}},\"annotations\":{\"org.opencontainers.image.ref.name\":\"$2\"}}"; }

gz() { gzip -n -9 -c "$1" >"$1.gz"; }

# busybox
mkdir -p "$work/bb/bin" "$work/bb/etc" "$work/bb/tmp"
cp "$busybox" "$work/bb/bin/busybox"
for applet in sh ls cat echo true; do ln -s busybox "$work/bb/bin/$applet"; done
echo "root:x:0:0:root:/root:/bin/sh" >"$work/bb/etc/passwd"
pack "$work/bb" "$work/bb.tar"; gz "$work/bb.tar"
rm -rf "$out/busybox"; mkdir -p "$out/busybox"
m=$(image "$out/busybox" amd64 latest "$work/bb.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip:$work/bb.tar")
index "$out/busybox" "$(tagged "$m" latest)"

# multilayer
mkdir -p "$work/l1/etc" "$work/l1/var/cache/old" "$work/l1/data"
cp -a "$work/bb/." "$work/l1/"
echo "motd" >"$work/l1/etc/motd"; echo "stale" >"$work/l1/var/cache/old/file"
pack "$work/l1" "$work/l1.tar"; gz "$work/l1.tar"
mkdir -p "$work/l2/etc" "$work/l2/var/cache"
: >"$work/l2/etc/.wh.motd"; : >"$work/l2/var/cache/.wh..wh..opq"; echo "fresh" >"$work/l2/var/cache/new"
pack "$work/l2" "$work/l2.tar"; zstd -q -19 -f "$work/l2.tar" -o "$work/l2.tar.zst"
mkdir -p "$work/l3/data"
echo "linked" >"$work/l3/data/a"; ln "$work/l3/data/a" "$work/l3/data/b"
pack "$work/l3" "$work/l3.tar"
rm -rf "$out/multilayer"; mkdir -p "$out/multilayer"
m=$(image "$out/multilayer" amd64 latest \
  "$work/l1.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip:$work/l1.tar" \
  "$work/l2.tar.zst:application/vnd.oci.image.layer.v1.tar+zstd:$work/l2.tar" \
  "$work/l3.tar:application/vnd.oci.image.layer.v1.tar:$work/l3.tar")
index "$out/multilayer" "$(tagged "$m" latest)"

# multiplatform
mkdir -p "$work/arm/etc"; echo "arm64" >"$work/arm/etc/arch"
pack "$work/arm" "$work/arm.tar"; gz "$work/arm.tar"
rm -rf "$out/multiplatform"; mkdir -p "$out/multiplatform"
amd=$(image "$out/multiplatform" amd64 latest "$work/bb.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip:$work/bb.tar")
arm=$(image "$out/multiplatform" arm64 latest "$work/arm.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip:$work/arm.tar")
amd=${amd%\}},\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}
arm=${arm%\}},\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}}
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' "$amd" "$arm" >"$work/index.json"
i=$(blob "$out/multiplatform" "$work/index.json" application/vnd.oci.image.index.v1+json)
index "$out/multiplatform" "$(tagged "$i" latest)"
echo "built: $out/busybox $out/multilayer $out/multiplatform"
