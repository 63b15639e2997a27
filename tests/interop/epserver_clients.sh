#!/usr/bin/env bash
# epserver on mtcpp (io = pcap on a veth, or io = dpdk on a tap with MTCPP_IO=dpdk) serves files of 0 B, 1 B, 64 KiB and 10 MiB; the Linux
# kernel's TCP in a namespace fetches each with curl, wget and Python's urllib, over HTTP/1.1
# keep-alive (curl, several files on one connection) and one connection per file. Every body is
# compared by SHA-256, and afterwards the kernel holds no connection but TIME_WAIT ones.
# Usage: epserver_clients.sh BUILD_DIR        (as root; exits 77, "skipped", otherwise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source "$here/../../scripts/lib/netns.sh"
netns_require_root
netns_up "e$$"
work=$(mktemp -d)
trap 'netns_down; rm -rf "$work"' EXIT
mkdir "$work/www"
: >"$work/www/empty"
printf x >"$work/www/one"
head -c 65536 /dev/urandom >"$work/www/k64"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$work/www/m10"
mtcpp_conf "$work/mtcp.conf"
"${MTCPP_RUN[@]}" "$build/apps/epserver" -p "$work/www" -f "$work/mtcp.conf" --duration 120 >"$work/epserver.log" 2>&1 &
server=$!
for _ in $(seq 50); do grep -q "initialization finished" "$work/epserver.log" && break; sleep 0.1; done
grep -q "initialization finished" "$work/epserver.log" || { cat "$work/epserver.log"; exit 1; }

fail=0
check() {  # name client file
  local got="$work/got-$2-$3" want="$work/www/$3"
  if [[ -f $got ]] && [[ $(sha256sum <"$got") == $(sha256sum <"$want") ]]; then
    echo "ok   $2 $3 ($(stat -c %s "$want") bytes)"
  else
    echo "FAIL $2 $3: $(stat -c %s "$got" 2>/dev/null || echo no) bytes, want $(stat -c %s "$want")"
    fail=1
  fi
}
url=http://$MTCPP_IP
for f in empty one k64 m10; do
  in_ns curl -sS --max-time 60 -o "$work/got-curl-$f" "$url/$f" || true
  check curl curl "$f"
  in_ns wget -q -T 60 -t 1 -O "$work/got-wget-$f" "$url/$f" || true
  check wget wget "$f"
  in_ns python3 -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=60).read())' \
    "$url/$f" >"$work/got-python-$f" || true
  check python python "$f"
done
# All four over one keep-alive connection.
in_ns curl -sS --max-time 60 -o "$work/got-keepalive-empty" "$url/empty" -o "$work/got-keepalive-one" "$url/one" \
  -o "$work/got-keepalive-k64" "$url/k64" -o "$work/got-keepalive-m10" "$url/m10" -w '%{num_connects} ' >"$work/connects" || true
for f in empty one k64 m10; do check keepalive keepalive "$f"; done
[[ $(cat "$work/connects") == "1 0 0 0 " ]] || { echo "FAIL keep-alive: connections opened per transfer: $(cat "$work/connects")"; fail=1; }
# A missing file is a 404, not a hang.
code=$(in_ns curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$url/nothing-here" || true)
[[ $code == 404 ]] || { echo "FAIL missing file: HTTP $code"; fail=1; }

# A client that gives up on the 10 MiB file after 1,000 bytes and closes: its kernel resets the
# connection, epserver's next write fails, and epserver must close the connection (it used to keep
# it and spin on its events) and go on serving.
in_ns python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 80), timeout=10)
s.sendall(b"GET /m10 HTTP/1.1\r\nHost: x\r\n\r\n")
s.recv(1000)
s.close()' "$MTCPP_IP"
sleep 2
in_ns curl -sS --max-time 60 -o "$work/got-after-reset-one" "$url/one" || true
check after-reset after-reset one
flows=$(grep -E '^\[CPU  0\]' "$work/epserver.log" | tail -1 | sed -E 's/.*flows: +([0-9]+),.*/\1/')
[[ $flows == 1 ]] || { echo "FAIL after the reset epserver holds $flows connection blocks (want 1: the listener)"; fail=1; }

sleep 1
leftover=$(in_ns ss -Htan state established state close-wait state fin-wait-1 state fin-wait-2 state last-ack state closing | wc -l)
[[ $leftover -eq 0 ]] || { echo "FAIL the kernel still has $leftover connection(s) open:"; in_ns ss -tan; fail=1; }
kill -INT $server
wait $server || { echo "FAIL epserver exited with $?"; fail=1; }
grep -E '^\[CPU  0\]' "$work/epserver.log" | tail -2
if [[ ${MTCPP_CORES:-1} -gt 1 ]]; then
  # The tap spreads flows over its queues by the kernel's own hash, not mtcpp's: some frames
  # must have been handed to the core owning their flow, or the cores did not share the work.
  for core in $(seq 0 $((MTCPP_CORES - 1))); do grep -E "^\[CPU +$core\]" "$work/epserver.log" | tail -1; done
  grep -qE 'steered out: [1-9]' "$work/epserver.log" || { echo "FAIL no frame was steered between cores"; fail=1; }
fi
[[ $fail -eq 0 ]] && echo "epserver_clients: all transfers intact"
exit $fail
