#!/usr/bin/env bash
# Replays every trace of traces/linux/ with mtcpp-replay, mtcpp playing each endpoint in turn, and
# compares each report with the one committed beside the trace (NAME.as-server.txt,
# NAME.as-client.txt): the replay is deterministic (trace time, seeded stack), so any difference is
# a change in mtcpp's behaviour, shown as a diff. Then a divergence put on purpose into a copy of
# a trace (one acknowledgement number changed) must be reported at that segment and nowhere else,
# and the same trace rewritten with VLAN tags, as a Linux cooked capture, with an ARP frame, and
# truncated must give the same rows.
# Usage: check.sh BUILD_DIR [--regen]     (--regen rewrites the committed reports; review the diff)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR [--regen]}" && pwd)
regen=${2:-}
replay=$build/apps/mtcpp-replay
traces=$root/traces/linux
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
server=10.79.0.2 client=10.79.0.1
# The ports the server side listened on (scripts/make-traces); the lossy transfer crossed the relay
# on its own subnet.
declare -A port=([http-get]=80 [server-closes-first]=8001 [client-closes-first]=8002 [reset-unread-data]=8003
                 [simultaneous-close]=8004 [bulk-transfer]=8005 [refused]=8006 [transfer-with-loss]=8007)
declare -A subnet=([transfer-with-loss]=10.79.1)
masks=window,option-order,timestamps
failures=0
for pcap in "$traces"/*.pcap; do
  name=$(basename "$pcap" .pcap)
  for role in server client; do
    net=${subnet[$name]:-10.79.0}
    [[ $role == server ]] && as="$net.2:${port[$name]}" || as=$net.1
    expected=$traces/$name.as-$role.txt
    status=0
    "$replay" "$pcap" --as "$as" --mask "$masks" >"$work/report" 2>&1 || status=$?
    if [[ $status -eq 2 ]]; then
      echo "FAIL $name as $role: mtcpp-replay could not run:"; cat "$work/report"; failures=$((failures + 1)); continue
    fi
    sed -i "s|$root/||" "$work/report"  # the path as given from the repository's root
    if [[ $regen == --regen ]]; then
      cp "$work/report" "$expected"
      echo "wrote $expected"
    elif diff -u "$expected" "$work/report" >"$work/diff"; then
      echo "ok   $name as $role: $(tail -1 "$work/report")"
    else
      echo "FAIL $name as $role: the report changed:"; head -40 "$work/diff"; failures=$((failures + 1))
    fi
  done
done

# A divergence on purpose: the 9th segment the server sent in server-closes-first acknowledges one
# octet more. The reports must differ in that row only, and the row must name the ack.
python3 "$here/inject.py" "$traces/server-closes-first.pcap" "$work/injected.pcap" "$server:8001" 9 1
"$replay" "$traces/server-closes-first.pcap" --as "$server:8001" --mask "$masks" >"$work/a" 2>&1 || true
"$replay" "$work/injected.pcap" --as "$server:8001" --mask "$masks" >"$work/b" 2>&1 || true
changed=$(diff <(grep -E '^ +[0-9]+  ' "$work/a") <(grep -E '^ +[0-9]+  ' "$work/b") | grep '^>' || true)
row=$(awk '{print $2}' <<<"$changed")
if [[ $(wc -l <<<"$changed") -eq 1 && -n $row && $changed == *"ack"* ]]; then
  echo "ok   injected divergence reported at row $row only: ${changed:0:60}... ${changed: -20}"
else
  echo "FAIL injected divergence: rows changed:"; echo "$changed"; failures=$((failures + 1))
fi
# The same conversation captured another way gives the same rows: with VLAN tags, as a Linux
# cooked capture, with an ARP frame to skip, and cut to 90 bytes a frame (payload zero-filled: the
# rows compare lengths and numbers, not bytes).
rows() { grep -E '^ +[0-9]+  ' "$1"; }
"$replay" "$traces/client-closes-first.pcap" --as "$server:8002" --mask "$masks" >"$work/plain" 2>&1 || true
for how in "--vlan 42" --sll --arp "--snaplen 90"; do
  # shellcheck disable=SC2086
  python3 "$here/convert.py" "$traces/client-closes-first.pcap" "$work/converted.pcap" $how
  "$replay" "$work/converted.pcap" --as "$server:8002" --mask "$masks" >"$work/converted" 2>&1 || true
  if diff <(rows "$work/plain") <(rows "$work/converted") >/dev/null; then
    echo "ok   converted ($how): same rows; $(head -1 "$work/converted" | sed 's/.*: //')"
  else
    echo "FAIL converted ($how): the rows differ"; diff <(rows "$work/plain") <(rows "$work/converted") | head; failures=$((failures + 1))
  fi
done
grep -q "1 not IPv4 (passed over)" <(python3 "$here/convert.py" "$traces/client-closes-first.pcap" "$work/arp.pcap" --arp && "$replay" "$work/arp.pcap" --as "$server:8002" --list) ||
  { echo "FAIL the ARP frame was not counted as skipped"; failures=$((failures + 1)); }

[[ $failures -eq 0 ]] && echo "replay: every report as committed"
exit $((failures > 0))
