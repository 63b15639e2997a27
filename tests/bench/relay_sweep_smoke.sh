#!/usr/bin/env bash
# Keeps bench/relay_sweep.sh working: one loss rate, one seed, 1 MiB, 1 ms each way. Checks that
# every transfer completed intact (the receivers check every byte) and that the table and the
# JSON summaries came out; asserts no speed.
# Usage: relay_sweep_smoke.sh BUILD_DIR      (as root; exits 77, "skipped", otherwise)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source "$here/../../scripts/lib/netns.sh"
netns_require_root
out=$("$here/../../bench/relay_sweep.sh" "$build" --loss 1 --seeds 1 --mib 1 --delay 1)
echo "$out" | grep -v '^{'
summaries=$(echo "$out" | grep -c '"bench": "relay_sweep"' || true)
failed=$(echo "$out" | grep '"bench": "relay_sweep"' | grep -vc '"failed": 0' || true)
# Four transfers, or five when the kernel's default controller is not CUBIC (it runs too).
if [[ $summaries -lt 4 || $failed -ne 0 ]]; then
  echo "relay_sweep_smoke: $summaries summaries (want 4 or 5), $failed with failures" >&2
  exit 1
fi
echo "relay_sweep_smoke: $summaries transfers intact"
