#!/usr/bin/env bash
# Builds the examples' image offline: an OCI archive (Examples/images/busybox.tar) with one layer
# holding Debian's static busybox and its applet links, tagged busybox:latest. Deterministic: the
# same busybox gives the same bytes. Needs busybox-static (installed by .ci/deps), tar, gzip.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "build.sh: $busybox is missing: apt-get install busybox-static" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The root filesystem: busybox, its applets, and the files programs expect.
root=$work/rootfs
mkdir -p "$root"/{bin,etc,tmp,srv/www,data,root}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
chmod 1777 "$root/tmp"

pack() {  # deterministic tar of a directory's contents
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
      --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$1" -cf "$2" .
}
layout=$work/layout
mkdir -p "$layout/blobs/sha256"
put() {  # put FILE MEDIATYPE -> descriptor JSON
  local digest size
  digest=$(sha256sum "$1" | cut -d' ' -f1); size=$(stat -c %s "$1")
  cp "$1" "$layout/blobs/sha256/$digest"
  printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$2" "$digest" "$size"
}
pack "$root" "$work/layer.tar"
diffid=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
gzip -n -9 < "$work/layer.tar" > "$work/layer.tar.gz"
layer=$(put "$work/layer.tar.gz" application/vnd.oci.image.layer.v1.tar+gzip)
printf '%s' "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$diffid\"]},\"history\":[{\"created_by\":\"Examples/images/build.sh: Debian busybox-static\"}]}" > "$work/config.json"
config=$(put "$work/config.json" application/vnd.oci.image.config.v1+json)
printf '%s' "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":$config,\"layers\":[$layer]}" > "$work/manifest.json"
manifest=$(put "$work/manifest.json" application/vnd.oci.image.manifest.v1+json)
manifest=${manifest%\}}
printf '%s' "{\"schemaVersion\":2,\"manifests\":[$manifest,\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\",\"io.containerd.image.name\":\"docker.io/library/busybox:latest\"}}]}" > "$layout/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
pack "$layout" "$here/busybox.tar"
echo "Examples/images/busybox.tar: $(stat -c %s "$here/busybox.tar") bytes"
