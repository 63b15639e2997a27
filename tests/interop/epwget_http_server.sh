#!/usr/bin/env bash
# epwget on mtcpp (io = pcap on a veth, or io = dpdk on a tap with MTCPP_IO=dpdk) fetches a file from Python's HTTP server on the Linux
# kernel's TCP in a namespace: 2,000 requests, 100 at a time, the client closing each connection
# first. Every body must be the file (epwget counts distinct bodies; one is saved and compared by
# SHA-256), no request may fail, and the kernel must be left with no open connection.
# Usage: epwget_http_server.sh BUILD_DIR      (as root; exits 77, "skipped", otherwise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source "$here/../../scripts/lib/netns.sh"
netns_require_root
netns_up "w$$"
work=$(mktemp -d)
trap 'netns_down; rm -rf "$work"' EXIT
mkdir "$work/www"
head -c 20000 /dev/urandom >"$work/www/file"
in_ns python3 "$here/http_server.py" "$KERNEL_IP" 80 "$work/www" >"$work/server.log" 2>&1 &
for _ in $(seq 50); do in_ns ss -Htln | grep -q ":80 " && break; sleep 0.1; done
mtcpp_conf "$work/mtcp.conf" max_concurrency=4096
fail=0
"${MTCPP_RUN[@]}" "$build/apps/epwget" "$KERNEL_IP/file" 2000 -f "$work/mtcp.conf" -N "${MTCPP_CORES:-1}" -c 100 -o "$work/got" --timeout 240 \
  >"$work/epwget.log" 2>&1 || fail=1
grep -E '^\[CPU  0\] connect|^\[ ALL' "$work/epwget.log" | tail -3
summary=$(grep '^\[ ALL  \] completed' "$work/epwget.log" || true)
[[ $summary == *"completed: 2000, failed: 0,"*"distinct bodies: 1,"* ]] || { echo "FAIL summary: $summary"; tail -20 "$work/epwget.log"; fail=1; }
[[ $(sha256sum <"$work/got") == $(sha256sum <"$work/www/file") ]] || { echo "FAIL the saved body differs from the file"; fail=1; }
sleep 1
leftover=$(in_ns ss -Htan state established state close-wait state fin-wait-1 state fin-wait-2 state last-ack state closing | wc -l)
[[ $leftover -eq 0 ]] || { echo "FAIL the kernel still has $leftover connection(s) open"; in_ns ss -tan | grep -v TIME-WAIT | head; fail=1; }
[[ $fail -eq 0 ]] && echo "epwget_http_server: 2000 responses intact"
exit $fail
