#!/usr/bin/env bash
# One bulk transfer each way between mtcpp (apps/mtcpp-tcp; io = pcap on a veth, or with
# MTCPP_IO=dpdk io = dpdk on a tap through net_tap) and the Linux kernel's TCP
# (tests/interop/peer.py in a namespace), and, in the same run over a veth pair, the kernel to
# the kernel with the same program at both ends. Offloads are off on every veth (as mtcpp's pcap
# path needs), every byte is checked on the receiving side. Prints a table and one JSON line per
# transfer.
# Usage: [MTCPP_IO=dpdk] bench/veth_throughput.sh [BUILD_DIR (default build)] [MIB (default 500)]   (as root)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
build=$(cd "${1:-$root/build}" && pwd)
mib=${2:-500}
bytes=$((mib * 1024 * 1024))
source "$root/scripts/lib/netns.sh"
source "$root/scripts/lib/transfer.sh"
netns_require_root
netns_up "b$$"
work=$(mktemp -d)
la=mtcpp-b$$a lb=mtcpp-b$$b
cleanup() { ip netns del "$la" 2>/dev/null || true; ip netns del "$lb" 2>/dev/null || true; netns_down; rm -rf "$work"; }
trap cleanup EXIT
peer="python3 $root/tests/interop/peer.py"
mtcpp_conf "$work/mtcp.conf" rcvbuf=4194304 sndbuf=4194304
# The kernel-to-kernel pair: two namespaces, one veth between them.
ip netns add "$la"
ip netns add "$lb"
ip link add "vb$$a" netns "$la" type veth peer name "vb$$b" netns "$lb"
ip -n "$la" addr add 10.78.0.1/24 dev "vb$$a"
ip -n "$lb" addr add 10.78.0.2/24 dev "vb$$b"
for ns in "$la:vb$$a" "$lb:vb$$b"; do
  ip netns exec "${ns%%:*}" ethtool -K "${ns#*:}" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  ip -n "${ns%%:*}" link set "${ns#*:}" up
done

# run NAME RECEIVER(server|client) SERVER_CMD... -- CLIENT_CMD...
run() {
  local name=$1 receiver=$2 s gbps
  shift 2
  if ! s=$(transfer_seconds "$work" "$bytes" "$receiver" "$@"); then
    echo "veth_throughput: $name: transfer incomplete or wrong" >&2
    exit 1
  fi
  gbps=$(python3 -c "print(f'{$bytes * 8 / $s / 1e9:.2f}')")
  printf '%-34s %8s MiB %8s s %8s Gbit/s\n' "$name" "$mib" "$s" "$gbps"
  echo "{\"bench\":\"veth_throughput\",\"transfer\":\"$name\",\"bytes\":$bytes,\"seconds\":$s,\"gbit_per_s\":$gbps}" >>"$work/json"
}

printf '%-34s %12s %10s %15s\n' transfer size time throughput
link="pcap, veth"
[[ ${MTCPP_IO:-pcap} == dpdk ]] && link="dpdk net_tap, tap"
run "mtcpp -> linux ($link)" server in_ns $peer --listen "$KERNEL_IP:7400" drain close -- \
  "${MTCPP_RUN[@]}" "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --connect "$KERNEL_IP:7400" "write:$bytes" close
run "linux -> mtcpp ($link)" client in_ns $peer --listen "$KERNEL_IP:7401" "write:$bytes" close -- \
  "${MTCPP_RUN[@]}" "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --connect "$KERNEL_IP:7401" drain close
run "linux -> linux (veth)" server ip netns exec "$lb" $peer --listen 10.78.0.2:7402 drain close -- \
  ip netns exec "$la" $peer --connect 10.78.0.2:7402 "write:$bytes" close
cat "$work/json"
