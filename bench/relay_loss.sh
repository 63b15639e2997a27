#!/usr/bin/env bash
# Bulk transfers across one impaired path: mtcpp-relay forwards frames between two veth pairs,
# losing, delaying and reordering them by seeded chance in both directions (this kernel has no
# netem). Over it, in one run: the Linux kernel to the Linux kernel (with CUBIC, and with the
# kernel's default controller), mtcpp (io = pcap; CUBIC, then NewReno) to Linux, and Linux to
# mtcpp, each moving the same bytes, every byte checked by the receiver. Prints a table, mtcpp's
# non-zero counters, and one JSON line per transfer.
# Usage: bench/relay_loss.sh [BUILD (default build)] [MIB (default 50)] [DROP (0.01)] [DELAY_MS (1)] [REORDER (0.05)] [SEED (7)]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ ${1:-} == -h || ${1:-} == --help ]]; then sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
build=$(cd "${1:-$root/build}" && pwd)
mib=${2:-50} drop=${3:-0.01} delay=${4:-1} reorder=${5:-0.05} seed=${6:-7}
bytes=$((mib * 1024 * 1024))
[[ $(id -u) -eq 0 ]] || { echo "relay_loss: needs root (namespaces, veth)" >&2; exit 1; }
tag=$$
LA=mtcpp-rl$tag-a LB=mtcpp-rl$tag-b
work=$(mktemp -d)
relay_pid=
cleanup() {
  [[ -n $relay_pid ]] && kill "$relay_pid" 2>/dev/null || true
  ip netns del "$LA" 2>/dev/null || true
  ip netns del "$LB" 2>/dev/null || true
  ip link del "rm$tag" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
peer="python3 $root/tests/interop/peer.py"
source "$root/scripts/lib/transfer.sh"
off() { ethtool -K "$1" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true; }
# A: 10.80.0.1 in namespace LA behind veth ra$tag; B: 10.80.0.2 in LB behind rb$tag; the relay
# joins ra$tag and rb$tag. mtcpp plays A on veth rm$tag, whose other end joins the relay instead.
ip netns add "$LA"
ip netns add "$LB"
ip link add "ra$tag" type veth peer name "xa$tag" netns "$LA"
ip link add "rb$tag" type veth peer name "xb$tag" netns "$LB"
ip -n "$LA" addr add 10.80.0.1/24 dev "xa$tag"
ip -n "$LB" addr add 10.80.0.2/24 dev "xb$tag"
for ns in "$LA:xa$tag" "$LB:xb$tag"; do
  ip netns exec "${ns%%:*}" sysctl -q -w "net.ipv6.conf.${ns#*:}.disable_ipv6=1"
  ip netns exec "${ns%%:*}" bash -c "$(declare -f off); off ${ns#*:}"
  ip -n "${ns%%:*}" link set "${ns#*:}" up
done
for dev in "ra$tag" "rb$tag"; do
  sysctl -q -w "net.ipv6.conf.$dev.disable_ipv6=1"
  off "$dev"
  ip link set "$dev" up promisc on
done
# mtcpp's veth: rm$tag (mtcpp captures there) and its peer rn$tag (the relay's other leg for mtcpp).
ip link add "rm$tag" type veth peer name "rn$tag"
for dev in "rm$tag" "rn$tag"; do
  sysctl -q -w "net.ipv6.conf.$dev.disable_ipv6=1"
  off "$dev"
  ip link set "$dev" up promisc on
done
printf 'io = pcap\nport = rm%s\nnum_cores = 1\naddress = 10.80.0.3/24\nmac = 02:00:00:80:00:03\ntcp_rto_min_ms = 200\nrcvbuf = 4194304\nsndbuf = 4194304\n' \
  "$tag" >"$work/mtcp.conf"
sed 's/^tcp_rto_min_ms.*/&\ntcp_congestion = newreno/' "$work/mtcp.conf" >"$work/mtcp-newreno.conf"

start_relay() {  # the two interfaces it joins
  "$build/apps/mtcpp-relay" "$1" "$2" --drop "$drop" --delay "$delay" --reorder "$reorder" --seed "$seed" >"$work/relay.log" 2>&1 &
  relay_pid=$!
  sleep 0.5
}
stop_relay() { kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true; relay_pid=; }

# run NAME RECEIVER(server|client) SERVER_CMD... -- CLIENT_CMD...
run() {
  local name=$1 receiver=$2 s mbps
  shift 2
  if ! s=$(transfer_seconds "$work" "$bytes" "$receiver" "$@"); then
    printf '%-28s %s\n' "$name" "FAILED: transfer incomplete or wrong"
    echo "{\"bench\":\"relay_loss\",\"transfer\":\"$name\",\"bytes\":$bytes,\"drop\":$drop,\"delay_ms\":$delay,\"reorder\":$reorder,\"seed\":$seed,\"failed\":true}" >>"$work/json"
    return
  fi
  mbps=$(python3 -c "print(f'{$bytes * 8 / $s / 1e6:.1f}')")
  printf '%-28s %6s MiB %10.3f s %10s Mbit/s\n' "$name" "$mib" "$s" "$mbps"
  grep -h '^stats:' "$work/server.log" "$work/client.log" | sed 's/^/    mtcpp /' || true
  echo "{\"bench\":\"relay_loss\",\"transfer\":\"$name\",\"bytes\":$bytes,\"drop\":$drop,\"delay_ms\":$delay,\"reorder\":$reorder,\"seed\":$seed,\"seconds\":$s,\"mbit_per_s\":$mbps}" >>"$work/json"
}

echo "relay: drop $drop, delay $delay ms, reorder $reorder, each direction, seed $seed"
printf '%-28s %10s %12s %17s\n' transfer size time throughput
start_relay "ra$tag" "rb$tag"
# The kernel's congestion control matters: BBR ignores random loss, a loss-based controller
# (CUBIC, like mtcpp's) does not. Both, named; the sender's choice decides.
default_cc=$(ip netns exec "$LA" sysctl -n net.ipv4.tcp_congestion_control)
for cc in cubic "$default_cc"; do
  [[ $cc == cubic && $default_cc == cubic && -n ${did_cubic:-} ]] && continue
  did_cubic=1
  run "linux -> linux ($cc)" server ip netns exec "$LB" $peer --listen 10.80.0.2:7500 drain close -- \
    ip netns exec "$LA" $peer --cc "$cc" --connect 10.80.0.2:7500 "write:$bytes" close
done
stop_relay
start_relay "rn$tag" "rb$tag"
run "mtcpp (cubic) -> linux" server ip netns exec "$LB" $peer --listen 10.80.0.2:7501 drain close -- \
  "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --stats --connect 10.80.0.2:7501 "write:$bytes" close
run "mtcpp (newreno) -> linux" server ip netns exec "$LB" $peer --listen 10.80.0.2:7503 drain close -- \
  "$build/apps/mtcpp-tcp" -f "$work/mtcp-newreno.conf" --stats --connect 10.80.0.2:7503 "write:$bytes" close
run "linux (cubic) -> mtcpp" client ip netns exec "$LB" $peer --cc cubic --listen 10.80.0.2:7502 "write:$bytes" close -- \
  "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --stats --connect 10.80.0.2:7502 drain close
stop_relay
cat "$work/json"
