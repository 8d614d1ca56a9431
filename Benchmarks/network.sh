#!/usr/bin/env bash
# Network benchmark: the userspace port forwarder against direct loopback to the same server, and
# the embedded DNS server's answer latency. Release build of berth-netbench (the forwarder and the
# DNS server without the rest of berth).
#   - TCP throughput: iperf3, one stream, SECONDS_PER_RUN seconds, direct vs through the forwarder
#   - connection rate: ab, REQUESTS short HTTP/1.0 requests (a new connection each), CONCURRENCY at
#     once, against busybox httpd serving 1 KiB, direct vs through the forwarder
#   - DNS: DNS_QUERIES queries for a service name over UDP on loopback, median and p99
#   - forwarder CPU: user+system seconds it used during the throughput run
# With PODMAN=1 and a working `podman` (as root), a busybox httpd in a podman container
# (localhost/busybox:test, see /work/shared/peers/images.sh) reached three ways: at its bridge
# address, through berth's forwarder, and through podman's published port (rootful: netavark's NAT).
#
# With ROOTLESS=1 (as root, with a BENCH_USER that has /etc/subuid ranges, default berth-test): the
# same server image (busybox httpd and Debian's iperf3 with its libraries, built here offline,
# imported into that user's podman and saved as an OCI archive for berth) runs twice as that user:
# in rootless podman with published ports (podman 4's default: slirp4netns with rootlessport) and
# in a rootless berth project (release `berth`, its forwarder in the project supervisor); iperf3
# throughput and `ab` connection rate through each published port, beside direct loopback.
#
#   bash Benchmarks/network.sh      # RUNS=3 SECONDS_PER_RUN=5 REQUESTS=20000 CONCURRENCY=32
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
REQUESTS=${REQUESTS:-20000}
CONCURRENCY=${CONCURRENCY:-32}
DNS_QUERIES=${DNS_QUERIES:-20000}
for tool in iperf3 ab busybox python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool (see .ci/deps)"; exit 1; }
done
# SCRATCH: a build directory other than .build (a release build beside a debug one in use).
# CONFIG=debug measures the debug build (when a release build cannot be had in time; say so).
SCRATCH=${SCRATCH:-$PWD/.build}
CONFIG=${CONFIG:-release}
# Release builds link the Swift runtime statically, as the README builds them.
STATIC=(); [ "$CONFIG" = release ] && STATIC=(--static-swift-stdlib)
release() { swift build -c "$CONFIG" "${STATIC[@]}" --scratch-path "$SCRATCH" --product "$1" >/dev/null; }
release berth-netbench
BENCH=$SCRATCH/$CONFIG/berth-netbench
WORK=$(mktemp -d)
pids=()
cleanup() {
  exec 6>&- 7>&- 8>&- 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

IPERF_PORT=15201 HTTP_PORT=18080
iperf3 -s -B 127.0.0.1 -p $IPERF_PORT >/dev/null 2>&1 & pids+=($!)
mkdir -p "$WORK/www" && head -c 1024 /dev/urandom > "$WORK/www/index.html"
busybox httpd -f -p 127.0.0.1:$HTTP_PORT -h "$WORK/www" & pids+=($!)

# forward TARGET FD: starts a forwarder on an ephemeral loopback port, its stdin held open on FD;
# sets FORWARDED to its address and FORWARDER_PID.
forward() {
  local target=$1 fd=$2 fifo=$WORK/in.$2 out=$WORK/out.$2
  mkfifo "$fifo"
  "$BENCH" forward tcp 127.0.0.1:0 "$target" < "$fifo" > "$out" & FORWARDER_PID=$!; pids+=($!)
  eval "exec $fd>$fifo"
  for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.05; done
  FORWARDED=$(head -1 "$out")
}
forward 127.0.0.1:$IPERF_PORT 7; IPERF_FORWARDED=$FORWARDED; IPERF_FORWARDER_PID=$FORWARDER_PID
forward 127.0.0.1:$HTTP_PORT 8; HTTP_FORWARDED=$FORWARDED
sleep 0.5

cpu_seconds() {  # user+system seconds of PID
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

iperf() {  # iperf ADDRESS → Gbit/s received
  local host=${1%:*} port=${1##*:}
  iperf3 -c "$host" -p "$port" -t "$SECONDS_PER_RUN" -J | python3 -c \
    'import json,sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("failed")'
}

rate() {  # rate ADDRESS → requests per second
  ab -q -n "$REQUESTS" -c "$CONCURRENCY" "http://$1/index.html" 2>/dev/null | awk '/Requests per second/ { print $4 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $CONFIG build; runs: $RUNS (medians)"
direct=() forwarded=()
cpu_before=$(cpu_seconds "$IPERF_FORWARDER_PID")
for _ in $(seq "$RUNS"); do
  direct+=("$(iperf 127.0.0.1:$IPERF_PORT)")
  forwarded+=("$(iperf "$IPERF_FORWARDED")")
done
cpu_after=$(cpu_seconds "$IPERF_FORWARDER_PID")
d=$(printf '%s\n' "${direct[@]}" | median) f=$(printf '%s\n' "${forwarded[@]}" | median)
echo "tcp throughput, Gbit/s: direct $d, forwarded $f ($(python3 -c "print('%.0f' % (100 * $f / $d))")% of direct); runs: direct ${direct[*]}, forwarded ${forwarded[*]}"
python3 -c "print('forwarder cpu: %.2f s for %d s of forwarding at %s Gbit/s' % ($cpu_after - $cpu_before, $RUNS * $SECONDS_PER_RUN, '$f'))"

direct=() forwarded=()
for _ in $(seq "$RUNS"); do
  direct+=("$(rate 127.0.0.1:$HTTP_PORT)")
  forwarded+=("$(rate "$HTTP_FORWARDED")")
done
d=$(printf '%s\n' "${direct[@]}" | median) f=$(printf '%s\n' "${forwarded[@]}" | median)
echo "connection rate, requests/s (1 KiB, new connection each): direct $d, forwarded $f ($(python3 -c "print('%.0f' % (100 * $f / $d))")% of direct); runs: direct ${direct[*]}, forwarded ${forwarded[*]}"

"$BENCH" dns "$DNS_QUERIES"

if [ "${PODMAN:-0}" = 1 ] && command -v podman >/dev/null; then
  # Same backend three ways: busybox httpd in a podman container, reached at its bridge address,
  # through berth's forwarder to that address, and through podman's own published port.
  name=berth-netbench-$$
  nofile=$(ulimit -Hn)
  # This VM: root lacks CAP_SYS_RESOURCE, so podman's default rlimits must be lowered (peers/README).
  if podman run -d --rm --name "$name" --ulimit "nofile=$nofile:$nofile" --ulimit nproc=32768:32768 \
       -p 127.0.0.1:18082:8080 localhost/busybox:test sh -c \
       'mkdir -p /www && head -c 1024 /dev/urandom > /www/index.html && head -c 268435456 /dev/zero > /www/big && exec httpd -f -p 8080 -h /www' >/dev/null; then
    container_ip=$(podman inspect "$name" --format '{{.NetworkSettings.IPAddress}}')
    forward "$container_ip:8080" 6; PODMAN_FORWARDED=$FORWARDED
    sleep 2
    fetch() {  # fetch ADDRESS → Gbit/s for the 256 MiB file
      local start end; start=$(date +%s.%N); wget -q -O /dev/null "http://$1/big"; end=$(date +%s.%N)
      python3 -c "print('%.2f' % (268435456 * 8 / ($end - $start) / 1e9))"
    }
    for label in "container $container_ip:8080" "berth-forwarder $PODMAN_FORWARDED" "podman-port 127.0.0.1:18082"; do
      address=${label#* } runs_rate=() runs_fetch=()
      for _ in $(seq "$RUNS"); do runs_rate+=("$(rate "$address")"); runs_fetch+=("$(fetch "$address")"); done
      echo "podman backend via ${label% *}: connection rate $(printf '%s\n' "${runs_rate[@]}" | median) requests/s, 256 MiB fetch $(printf '%s\n' "${runs_fetch[@]}" | median) Gbit/s; runs ${runs_rate[*]} / ${runs_fetch[*]}"
    done
    podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
  else
    echo "podman: could not start localhost/busybox:test (build it with /work/shared/peers/images.sh busybox)"
  fi
fi

if [ "${ROOTLESS:-0}" = 1 ]; then
  # Rootless, side by side: podman's rootlessport against berth's forwarder, same image, same user.
  BENCH_USER=${BENCH_USER:-berth-test}
  command -v podman >/dev/null || { echo "rootless: podman is not installed"; exit 0; }
  release berth && release berth-init
  home=$WORK/home; mkdir -p "$home/.config/containers" "$home/xdg" "$WORK/bin" "$WORK/project" "$WORK/rootfs"
  cp "$SCRATCH/$CONFIG/berth" "$SCRATCH/$CONFIG/berth-init" "$WORK/bin/"
  # The podman store of this run only (vfs needs nothing of the host; the image is small).
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/storage"\nrunroot = "%s/xdg/containers"\n' "$home" "$home" \
    > "$home/.config/containers/storage.conf"
  rootfs=$WORK/rootfs
  mkdir -p "$rootfs"/{bin,etc,tmp,www,usr/bin}
  cp /bin/busybox "$rootfs/bin/busybox"
  for applet in sh mkdir head httpd sleep; do ln -s busybox "$rootfs/bin/$applet"; done
  install -m 0755 "$(command -v iperf3)" "$rootfs/usr/bin/iperf3"
  ldd "$(command -v iperf3)" | awk '/=> \//{print $3} /^[ \t]*\/[^ ]*ld-linux/{print $1}' | while read -r lib; do
    mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"
  done
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$rootfs/etc/passwd"
  head -c 1024 /dev/urandom > "$rootfs/www/index.html"
  tar -C "$rootfs" --owner=0 --group=0 -cf "$WORK/netbench.tar" .
  chown -R "$BENCH_USER" "$WORK"; chmod 0755 "$WORK"
  as_user() {  # as_user COMMAND... as BENCH_USER with this run's home and runtime directory
    runuser -u "$BENCH_USER" -- env -C "$WORK/project" HOME="$home" XDG_RUNTIME_DIR="$home/xdg" \
      BERTH_DATA_DIR="$WORK/berth-data" PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin "$@"
  }
  serve='iperf3 -s -p 5201 -D && exec httpd -f -p 8080 -h /www'
  as_user podman import -q --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/bin:/bin' "$WORK/netbench.tar" localhost/netbench:latest >/dev/null
  as_user podman save -q --format oci-archive -o "$WORK/netbench.oci.tar" localhost/netbench:latest
  rootless_cleanup() {
    as_user "$WORK/bin/berth" down -t 0 >/dev/null 2>&1 || true
    as_user podman rm -f -t 0 netbench >/dev/null 2>&1 || true
    as_user podman system reset -f >/dev/null 2>&1 || true
    cleanup
  }
  trap rootless_cleanup EXIT
  # This VM's root lacks CAP_SYS_RESOURCE: podman's default rlimits are capped (peers/README).
  nofile=$(ulimit -Hn)
  as_user podman run -d --name netbench --ulimit "nofile=$nofile:$nofile" --ulimit nproc=32768:32768 \
    -p 127.0.0.1:25201:5201 -p 127.0.0.1:28080:8080 localhost/netbench:latest sh -c "$serve" >/dev/null
  printf 'name: netbench\nservices:\n  server:\n    image: oci-archive:%s\n    command: ["sh", "-c", "%s"]\n    ports: ["127.0.0.1:35201:5201", "127.0.0.1:38080:8080"]\n' \
    "$WORK/netbench.oci.tar" "$serve" > "$WORK/project/compose.yaml"
  chown -R "$BENCH_USER" "$WORK/project"
  as_user "$WORK/bin/berth" up -d >/dev/null 2>"$WORK/up.err" || { echo "berth up failed: $(cat "$WORK/up.err")"; exit 1; }
  for port in 25201 28080 35201 38080; do  # until every published port answers
    for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  done
  sleep 1
  echo "rootless, as $BENCH_USER: podman $(podman --version | awk '{print $3}') (slirp4netns, rootlessport) vs berth ($CONFIG build's forwarder); load $(cut -d' ' -f1-3 /proc/loadavg)"
  for label in "direct-loopback 127.0.0.1:$IPERF_PORT 127.0.0.1:$HTTP_PORT" "podman-rootlessport 127.0.0.1:25201 127.0.0.1:28080" \
               "berth-forwarder 127.0.0.1:35201 127.0.0.1:38080"; do
    read -r name tcp http <<<"$label"
    runs_tcp=() runs_rate=()
    for _ in $(seq "$RUNS"); do runs_tcp+=("$(iperf "$tcp")"); runs_rate+=("$(rate "$http")"); done
    echo "  $name: iperf3 $(printf '%s\n' "${runs_tcp[@]}" | median) Gbit/s, connection rate $(printf '%s\n' "${runs_rate[@]}" | median) requests/s; runs ${runs_tcp[*]} / ${runs_rate[*]}"
  done
fi
