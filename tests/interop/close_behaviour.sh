#!/usr/bin/env bash
# How connections end between mtcpp (apps/mtcpp-tcp; io = pcap on a veth, or io = dpdk on a tap
# with MTCPP_IO=dpdk) and the Linux kernel's TCP (tests/interop/peer.py in a namespace): each
# scenario runs both scripts, captures the conversation with tcpdump on the kernel's interface,
# and checks what each side's calls returned, who sent the first FIN or RST, and that the kernel
# keeps no connection of the scenario open (TIME_WAIT aside).
# Usage: close_behaviour.sh BUILD_DIR [SCENARIO...]   (as root; exits 77, "skipped", otherwise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [SCENARIO...]}" && pwd)
shift
source "$here/../../scripts/lib/netns.sh"
netns_require_root
netns_up "c$$"
work=$(mktemp -d)
trap 'netns_down; rm -rf "$work"' EXIT
mtcpp_conf "$work/mtcp.conf"
failures=0
port=7000

# The segments of the capture in order, one word each: who sent it (m: mtcpp, k: the kernel) and
# tcpdump's flags, e.g. "m:S k:S. m:. m:P. k:. m:F. k:F. m:.".
segments() {
  tcpdump -nn -r "$1" 2>/dev/null | sed -nE "s/.* IP ([0-9.]+)\.[0-9]+ > [0-9.]+\.[0-9]+: Flags \[([^]]*)\].*/\1 \2/p" |
    while read -r src flags; do [[ $src == "$MTCPP_IP" ]] && printf 'm:%s ' "$flags" || printf 'k:%s ' "$flags"; done
}
# Who sent the first segment carrying FIN or RST, and which: "m:F" or "k:R".
first_end() {
  local seg
  seg=$(tr ' ' '\n' <<<"$1" | grep -m1 -E ':[^:]*[FR]' || true)
  [[ -n $seg ]] || return 0
  [[ ${seg#*:} == *R* ]] && echo "${seg%%:*}:R" || echo "${seg%%:*}:F"
}

# scenario NAME MTCPP_ROLE(listen|connect) "MTCPP STEPS" "KERNEL STEPS" then checks as words:
#   m=TEXT / k=TEXT     the mtcpp / kernel log has a line TEXT
#   first=m:F           who sent the first segment with FIN or RST (m:F, k:F, m:R, k:R)
#   no-rst              no RST on the wire
scenario() {
  local name=$1 role=$2 msteps=$3 ksteps=$4
  shift 4
  if [[ ${#selected[@]} -gt 0 && ! " ${selected[*]} " == *" $name "* ]]; then return; fi
  port=$((port + 1))
  local cap=$work/$name.pcap mlog=$work/$name.mtcpp.log klog=$work/$name.kernel.log
  kernel_link_up
  in_ns tcpdump -i "$NETNS_IF_K" -B 16384 -nn -U --immediate-mode -w "$cap" "tcp port $port" 2>"$work/$name.tcpdump.log" &
  local dump=$!
  for _ in $(seq 50); do grep -q "listening on" "$work/$name.tcpdump.log" && break; sleep 0.1; done
  # shellcheck disable=SC2086
  if [[ $role == listen ]]; then
    "${MTCPP_RUN[@]}" "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --listen "$port" $msteps >"$mlog" 2>&1 &
    local m=$!
    for _ in $(seq 50); do grep -q listening "$mlog" && break; sleep 0.1; done
    in_ns python3 "$here/peer.py" --connect "$MTCPP_IP:$port" $ksteps >"$klog" 2>&1 || true
    wait $m || true
  else
    in_ns python3 "$here/peer.py" --listen "$KERNEL_IP:$port" $ksteps >"$klog" 2>&1 &
    local k=$!
    for _ in $(seq 50); do grep -q listening "$klog" && break; sleep 0.1; done
    "${MTCPP_RUN[@]}" "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --connect "$KERNEL_IP:$port" $msteps >"$mlog" 2>&1 || true
    wait $k || true
  fi
  sleep 0.5
  kill $dump 2>/dev/null || true
  wait $dump 2>/dev/null || true
  local segs ok=1 check
  segs=$(segments "$cap")
  for check in "$@"; do
    case $check in
      m=*) grep -qxF "${check#m=}" "$mlog" || { echo "  mtcpp did not print: ${check#m=}"; ok=0; } ;;
      k=*) grep -qxF "${check#k=}" "$klog" || { echo "  kernel did not print: ${check#k=}"; ok=0; } ;;
      first=*) [[ $(first_end "$segs") == "${check#first=}" ]] || { echo "  first FIN/RST: $(first_end "$segs"), want ${check#first=}"; ok=0; } ;;
      no-rst) [[ $segs != *R* ]] || { echo "  an RST went on the wire"; ok=0; } ;;
      *) echo "close_behaviour.sh: bad check $check" >&2; exit 2 ;;
    esac
  done
  local open
  open=$(in_ns ss -Htan state established state close-wait state fin-wait-1 state fin-wait-2 state last-ack \
    state closing state syn-sent state syn-recv "( sport = :$port or dport = :$port )" | wc -l)
  [[ $open -eq 0 ]] || { echo "  the kernel still holds $open connection(s) on port $port"; ok=0; }
  local words shown
  read -ra words <<<"$segs"
  shown="${words[*]: -12}"
  [[ ${#words[@]} -gt 12 ]] && shown="(${#words[@]} segments) ... $shown"
  if [[ $ok -eq 1 ]]; then
    echo "ok   $name: $shown"
  else
    echo "FAIL $name: $segs"
    sed 's/^/    mtcpp:  /' "$mlog"
    sed 's/^/    kernel: /' "$klog"
    sed 's/^/    tcpdump: /' "$work/$name.tcpdump.log"
    failures=$((failures + 1))
  fi
}

selected=("$@")
scenario mtcpp-closes-first listen "write:100000 close" "drain close" \
  m=write=100000 m=close=0 "k=read=100000 then 0" first=m:F no-rst
scenario kernel-closes-first connect "drain close" "write:100000 close" \
  "m=read=100000 then 0" m=close=0 first=k:F no-rst
scenario both-close-at-once listen "write:1 read:1 close" "write:1 read:1 close" \
  m=read=1 k=read=1 m=close=0 k=close=0 no-rst
scenario kernel-half-closes-mtcpp-keeps-sending listen "read:1 drain write:200000 close" "write:1 shutdown:wr drain close" \
  "m=read=0 then 0" m=write=200000 "k=read=200000 then 0" first=k:F no-rst
scenario mtcpp-closes-with-unread-data listen "sleep:300 close" "write:1000 sleep:600 drain" \
  m=close=0 k=write=1000 "k=read=0 then -1 ECONNRESET" first=m:R
scenario kernel-closes-with-unread-data connect "write:1000 sleep:600 drain close" "sleep:300 close" \
  m=write=1000 "m=read=0 then -1 ECONNRESET" first=k:R
scenario mtcpp-linger-zero listen "read:10 linger0 close" "write:10 sleep:300 drain" \
  m=read=10 m=close=0 "k=read=0 then -1 ECONNRESET" first=m:R
scenario kernel-linger-zero connect "write:10 sleep:600 drain close" "read:10 linger0 close" \
  "m=read=0 then -1 ECONNRESET" first=k:R

# The kernel connects to a port nobody listens on at mtcpp: mtcpp's stack refuses it with RST.
# (An mtcpp listening elsewhere keeps its stack alive to answer.)
if [[ ${#selected[@]} -eq 0 || " ${selected[*]} " == *" kernel-connects-to-closed-port "* ]]; then
  port=$((port + 1))
  "${MTCPP_RUN[@]}" "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --listen 6999 >"$work/refuse.mtcpp.log" 2>&1 &
  m=$!
  for _ in $(seq 50); do grep -q listening "$work/refuse.mtcpp.log" && break; sleep 0.1; done
  got=$(in_ns python3 "$here/peer.py" --connect "$MTCPP_IP:$port" 2>&1 || true)
  kill $m 2>/dev/null || true
  wait $m 2>/dev/null || true
  if [[ $got == "connect=-1 ECONNREFUSED" ]]; then echo "ok   kernel-connects-to-closed-port: $got"
  else echo "FAIL kernel-connects-to-closed-port: $got"; failures=$((failures + 1)); fi
fi

# mtcpp connects to a port nobody listens on in the namespace: the kernel's RST refuses it.
if [[ ${#selected[@]} -eq 0 || " ${selected[*]} " == *" mtcpp-connects-to-closed-port "* ]]; then
  port=$((port + 1))
  got=$("${MTCPP_RUN[@]}" "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --connect "$KERNEL_IP:$port" 2>&1 | grep '^connect=' || true)
  if [[ $got == "connect=-1 ECONNREFUSED" ]]; then echo "ok   mtcpp-connects-to-closed-port: $got"
  else echo "FAIL mtcpp-connects-to-closed-port: $got"; failures=$((failures + 1)); fi
fi

[[ $failures -eq 0 ]] && echo "close_behaviour: every scenario as expected"
exit $((failures > 0))
