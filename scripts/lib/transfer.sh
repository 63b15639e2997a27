# Sourced by the benchmarks: one checked bulk transfer between two programs that speak the steps
# of apps/mtcpp-tcp and tests/interop/peer.py.
#
#   transfer_seconds WORK BYTES RECEIVER SERVER_CMD... -- CLIENT_CMD...
#
# Starts the server (it prints "listening"), runs the client, waits for both, and prints the
# receiver's own time for the transfer (its read-seconds line); RECEIVER is "server" or "client".
# Returns 1, with both logs on stderr, when the receiver did not get exactly BYTES bytes of the
# stream pattern.
transfer_seconds() {
  local work=$1 bytes=$2 receiver=$3
  shift 3
  local server=() client=()
  while [[ $1 != -- ]]; do server+=("$1"); shift; done
  shift
  client=("$@")
  "${server[@]}" >"$work/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 50); do grep -q listening "$work/server.log" && break; sleep 0.1; done
  timeout 600 "${client[@]}" >"$work/client.log" 2>&1 || true
  wait $pid || true
  local got="$work/$receiver.log"
  if ! grep -qx "read=$bytes then 0" "$got" || grep -q MISMATCH "$got"; then
    cat "$work/server.log" "$work/client.log" | sed 's/^/    /' >&2
    return 1
  fi
  sed -n 's/^read-seconds=//p' "$got"
}
