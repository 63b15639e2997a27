#!/usr/bin/env bash
# mtcpp on two DPDK ports at once (`port = dpdk0 dpdk1`): two taps in one namespace, each its own
# subnet on the Linux kernel's side (10.78.0.2/24 on the first, 10.78.1.2/24 on the second), and
# one mtcpp stack per core with an interface on each (10.78.0.1 and 10.78.1.1), attached through
# DPDK's net_tap. The kernel drops what arrives on the wrong tap (rp_filter = 1), so every byte
# below proves that mtcpp sent it by the port its route names.
#   1. epserver: curl fetches a 1 MiB file from each of mtcpp's addresses, 20 times each, and the
#      per-second statistics lines show both ports.
#   2. epwget: 500 requests to a Python server on each of the kernel's addresses.
# Usage: two_ports_tap.sh BUILD_DIR [CORES]      (as root; exits 77, "skipped", otherwise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [CORES]}" && pwd)
cores=${2:-2}
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: needs root (a network namespace and taps)"
  exit 77
fi
ns=mtcpp-p$$
tap=(mtp$$a mtp$$b)
kernel_ip=(10.78.0.2 10.78.1.2)
mtcpp_ip=(10.78.0.1 10.78.1.1)
work=$(mktemp -d)
cleanup() {
  ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
in_ns() { ip netns exec "$ns" "$@"; }
ip netns add "$ns"
ip -n "$ns" link set lo up
in_ns sysctl -q -w net.ipv4.conf.all.rp_filter=1
for i in 0 1; do
  # multi_queue: the flags net_tap opens a tap with, so that it attaches to this one.
  ip -n "$ns" tuntap add dev "${tap[i]}" mode tap multi_queue
  ip -n "$ns" addr add "${kernel_ip[i]}/24" dev "${tap[i]}"
  in_ns sysctl -q -w "net.ipv6.conf.${tap[i]}.disable_ipv6=1" "net.ipv4.conf.${tap[i]}.rp_filter=1"
  ip -n "$ns" link set "${tap[i]}" up
done
taps_up() { for t in "${tap[@]}"; do ip -n "$ns" link set "$t" up; done; }

cat >"$work/mtcp.conf" <<EOF
io = dpdk
num_cores = $cores
port = dpdk0 dpdk1
stat_print = dpdk0 dpdk1
max_concurrency = 4096
address = ${mtcpp_ip[0]}/24 ${mtcpp_ip[1]}/24
mac = 02:00:00:78:00:01 02:00:00:78:01:01
dpdk_args = --no-huge -m 256 --no-pci --vdev=net_tap0,iface=${tap[0]} --vdev=net_tap1,iface=${tap[1]}
EOF
fail=0

# 1. epserver on both ports, curl from the kernel to each address.
mkdir "$work/www"
head -c $((1024 * 1024)) /dev/urandom >"$work/www/m1"
ip netns exec "$ns" "$build/apps/epserver" -p "$work/www" -f "$work/mtcp.conf" -N "$cores" --duration 120 >"$work/epserver.log" 2>&1 &
server=$!
for _ in $(seq 100); do grep -q "initialization finished" "$work/epserver.log" && break; sleep 0.1; done
grep -q "initialization finished" "$work/epserver.log" || { cat "$work/epserver.log"; exit 1; }
taps_up
want=$(sha256sum <"$work/www/m1")
for i in 0 1; do
  ok=0
  for n in $(seq 20); do
    in_ns curl -sS --max-time 30 -o "$work/got" "http://${mtcpp_ip[i]}/m1" || true
    [[ -f $work/got && $(sha256sum <"$work/got") == "$want" ]] && ok=$((ok + 1))
    rm -f "$work/got"
  done
  echo "epserver at ${mtcpp_ip[i]} (port dpdk$i): $ok of 20 fetches of 1 MiB intact"
  [[ $ok -eq 20 ]] || fail=1
done
sleep 1.5  # a statistics line after the transfers
kill -INT "$server" 2>/dev/null || true
wait "$server" || { echo "FAIL epserver exited with $?"; fail=1; }
for i in 0 1; do
  if ! grep -qE "^\[CPU  0\] dpdk$i +flows" "$work/epserver.log"; then
    echo "FAIL no statistics line for dpdk$i"
    fail=1
  fi
done
# Each port carried its own transfers: some line of each shows hundreds of frames a second out.
for i in 0 1; do
  if ! grep -E "^\[CPU +[0-9]+\] dpdk$i " "$work/epserver.log" | grep -qE "TX: +[0-9]{3,}\(pps\)"; then
    echo "FAIL dpdk$i never showed traffic"
    fail=1
  fi
done
grep -E "^\[CPU +[0-9]+\] dpdk[01] " "$work/epserver.log" | sort -u -k3,3 | head -4

# 2. epwget on both ports, to a server on each of the kernel's addresses.
taps_up
for i in 0 1; do
  in_ns python3 "$here/../interop/http_server.py" "${kernel_ip[i]}" 80 "$work/www" >/dev/null 2>&1 &
done
for _ in $(seq 50); do [[ $(in_ns ss -Htln | grep -c ":80 ") -eq 2 ]] && break; sleep 0.1; done
head -c 20000 /dev/urandom >"$work/www/file"
for i in 0 1; do
  in_ns "$build/apps/epwget" "${kernel_ip[i]}/file" 500 -f "$work/mtcp.conf" -N "$cores" -c 50 -o "$work/got$i" \
    --timeout 120 >"$work/epwget$i.log" 2>&1 || true
  summary=$(grep '^\[ ALL  \] completed' "$work/epwget$i.log" || true)
  echo "epwget to ${kernel_ip[i]} (port dpdk$i): ${summary#*completed}"
  if [[ $summary != *"completed: 500, failed: 0,"*"distinct bodies: 1,"* ]]; then
    echo "FAIL epwget to ${kernel_ip[i]}"
    tail -20 "$work/epwget$i.log"
    fail=1
  fi
  [[ $(sha256sum <"$work/got$i") == $(sha256sum <"$work/www/file") ]] || { echo "FAIL the saved body differs"; fail=1; }
  taps_up
done
[[ $fail -eq 0 ]] && echo "two_ports_tap: both ports served and fetched, every byte intact"
exit $fail
