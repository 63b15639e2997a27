#!/usr/bin/env bash
# epwget against epserver, both mtcpp on DPDK, in two processes joined by DPDK's net_memif (shared
# memory: no kernel on the path, --no-huge --no-pci), CORES contexts on each side, REQUESTS
# requests (HTTP/1.0, the client closing), every body compared with the file.
#
# With several cores, each side's contexts share one address and one port with a queue per core.
# memif hands a frame sent on queue q to the peer's queue q. Both sides hash a flow alike (the
# symmetric Toeplitz key, either direction), and epwget connects from source ports that hash back
# to the connecting core (mtcp_init_rss's pool); so a SYN sent by core q reaches the server's
# core q, which owns the flow, and its replies come back to the client's core q. The test checks
# exactly that: no TCP frame was handed between cores on either side ("steered out: 0"), while
# every core did work.
#
# Usage: epwget_epserver_memif.sh BUILD_DIR [CORES] [REQUESTS]
#        (as root; exits 77, "skipped", otherwise). Defaults: 2 cores, 10000 requests.
set -euo pipefail
build=$(cd "${1:?usage: $0 BUILD_DIR [CORES] [REQUESTS]}" && pwd)
cores=${2:-2}
requests=${3:-10000}
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: needs root (DPDK's EAL)"
  exit 77
fi
work=$(mktemp -d)
server=
cleanup() {
  [[ -n $server ]] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir "$work/www"
head -c 16384 /dev/urandom >"$work/www/file"
conf() {  # FILE ADDRESS MAC ROLE
  cat >"$1" <<CONF
io = dpdk
port = net_memif0
num_cores = $cores
address = $2/24
mac = $3
max_concurrency = 4096
max_num_buffers = 8191
stat_print = net_memif0
dpdk_args = --no-huge -m 512 --no-pci --log-level=pmd.net.memif:warning
dpdk_args = --vdev=net_memif0,role=$4,socket=$work/memif.sock,socket-abstract=no
CONF
}
conf "$work/server.conf" 10.88.0.1 02:00:00:88:00:01 server
conf "$work/client.conf" 10.88.0.2 02:00:00:88:00:02 client

"$build/apps/epserver" -p "$work/www" -f "$work/server.conf" --duration 300 >"$work/epserver.log" 2>&1 &
server=$!
for _ in $(seq 100); do [[ $(grep -c "initialization finished" "$work/epserver.log") -ge $cores ]] && break; sleep 0.1; done
[[ $(grep -c "initialization finished" "$work/epserver.log") -ge $cores ]] || { cat "$work/epserver.log"; exit 1; }

fail=0
"$build/apps/epwget" 10.88.0.1/file "$requests" -f "$work/client.conf" -N "$cores" -c $((100 * cores)) -o "$work/got" \
  --timeout 240 >"$work/epwget.log" 2>&1 || { echo "FAIL epwget exited with $?"; fail=1; }
kill -INT $server
wait $server || { echo "FAIL epserver exited with $?"; fail=1; }
server=

summary=$(grep -E '^\[ ALL  \] completed' "$work/epwget.log" || true)
echo "$summary"
[[ $summary == *"completed: $requests, failed: 0,"* ]] || { echo "FAIL not every request completed"; fail=1; }
[[ $summary == *"distinct bodies: 1,"* ]] || { echo "FAIL bodies differ"; fail=1; }
cmp -s "$work/got" "$work/www/file" || { echo "FAIL the body saved is not the file"; fail=1; }

# Every core of both sides: its last statistics line (printed as the program ends), and no TCP
# frame handed to another core. On DPDK the line ends "steered out: N, in: M"; ARP replies are
# copied to every core, so "in" counts those.
for side in epserver epwget; do
  for core in $(seq 0 $((cores - 1))); do
    last=$(grep -E "^\[CPU +$core\] net_memif0" "$work/$side.log" | tail -1)
    echo "$side: $last"
    [[ -n $last ]] || { echo "FAIL $side printed no statistics for core $core"; fail=1; }
    if [[ ! $last =~ steered\ out:\ ([0-9]+) ]]; then
      echo "FAIL $side core $core: no steering figures"
      fail=1
    elif [[ ${BASH_REMATCH[1]} -ne 0 ]]; then
      echo "FAIL $side core $core handed ${BASH_REMATCH[1]} TCP frame(s) to another core"
      fail=1
    fi
  done
done
if [[ $cores -gt 1 ]]; then
  # Each client core made its own share of the connections.
  for core in $(seq 0 $((cores - 1))); do
    made=$(grep -E "^\[CPU +$core\] connect:" "$work/epwget.log" | tail -1 | sed -E 's/.*connect: +([0-9]+),.*/\1/')
    [[ ${made:-0} -gt 0 ]] || { echo "FAIL epwget core $core made no connection"; fail=1; }
  done
fi
[[ $fail -eq 0 ]] || { echo "--- epserver"; tail -20 "$work/epserver.log"; echo "--- epwget"; tail -20 "$work/epwget.log"; }
[[ $fail -eq 0 ]] && echo "epwget_epserver_memif: $requests responses intact on $cores core(s) a side"
exit $fail
