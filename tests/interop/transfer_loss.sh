#!/usr/bin/env bash
# Bulk transfers between mtcpp (io = pcap on a veth) and the Linux kernel's TCP with frames lost,
# reordered and duplicated in both directions by mtcpp's fault injector, and delayed 1 ms each way
# by its delay line (fault_* keys; this kernel has no netem): 50 MiB each way at 1 % loss and 5 %. Every byte is checked against the
# stream pattern on the receiving side; the time each took and mtcpp's counters are printed.
# Usage: transfer_loss.sh BUILD_DIR      (as root; exits 77, "skipped", otherwise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source "$here/../../scripts/lib/netns.sh"
netns_require_root
netns_up "l$$"
work=$(mktemp -d)
trap 'netns_down; rm -rf "$work"' EXIT
failures=0
port=7200

# transfer DIRECTION(to-kernel|to-mtcpp) BYTES DROP
transfer() {
  local dir=$1 bytes=$2 drop=$3 dup reorder
  dup=$(python3 -c "print($drop / 2)")
  reorder=$(python3 -c "print($drop / 2)")
  port=$((port + 1))
  mtcpp_conf "$work/mtcp.conf" "fault_drop=$drop" "fault_duplicate=$dup" "fault_reorder=$reorder" \
    "fault_seed=$port" "fault_delay_ms=1"
  local m k start
  if [[ $dir == to-kernel ]]; then m="write:$bytes close"; k="drain close"; else m="drain close"; k="write:$bytes close"; fi
  # shellcheck disable=SC2086
  in_ns python3 "$here/peer.py" --listen "$KERNEL_IP:$port" $k >"$work/k.log" 2>&1 &
  local peer=$!
  for _ in $(seq 50); do grep -q listening "$work/k.log" && break; sleep 0.1; done
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  timeout 300 "${MTCPP_RUN[@]}" "$build/apps/mtcpp-tcp" -f "$work/mtcp.conf" --stats --connect "$KERNEL_IP:$port" $m >"$work/m.log" 2>&1 || true
  wait $peer || true
  local took receiver
  took=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
  [[ $dir == to-kernel ]] && receiver=$work/k.log || receiver=$work/m.log
  if grep -qx "read=$bytes then 0" "$receiver" && ! grep -q MISMATCH "$receiver"; then
    echo "ok   $dir $bytes bytes at $drop loss (+ $dup duplicated, $reorder reordered): $took s"
    grep "^stats:" "$work/m.log" | sed "s/^/    mtcpp /"
  else
    echo "FAIL $dir $bytes bytes at $drop loss: $took s"
    sed 's/^/    mtcpp:  /' "$work/m.log"
    sed 's/^/    kernel: /' "$work/k.log"
    failures=$((failures + 1))
  fi
}

transfer to-kernel $((50 * 1024 * 1024)) 0.01
transfer to-mtcpp $((50 * 1024 * 1024)) 0.01
transfer to-kernel $((50 * 1024 * 1024)) 0.05
transfer to-mtcpp $((50 * 1024 * 1024)) 0.05
[[ $failures -eq 0 ]] && echo "transfer_loss: every byte intact"
exit $((failures > 0))
