#!/usr/bin/env bash
# mtcpp-sim's loss sweep against the Linux kernel: for each loss rate and seed, bench/relay_loss.sh
# moves the same bytes across mtcpp-relay (random loss each way, a fixed delay each way, no
# reordering) Linux to Linux (CUBIC, and the kernel's default controller), mtcpp to Linux (CUBIC,
# NewReno) and Linux (CUBIC) to mtcpp, every byte checked. Prints, per transfer and loss rate, the
# median, fastest and slowest time over the seeds, the median's goodput and the ratio of mtcpp
# (CUBIC) -> Linux to Linux -> Linux (CUBIC), then a JSON line per transfer and per row.
# Usage: bench/relay_sweep.sh [BUILD (default build)] [--loss LIST] [--seeds N] [--mib N] [--delay MS]
#   --loss   loss rates per direction in percent, comma-separated (default 0,0.1,1,2,5,10)
#   --seeds  seeds 1..N per rate (default 3)     --mib  MiB per transfer (default 4)
#   --delay  milliseconds each way (default 10: a 20 ms round trip, as mtcpp-sim sweep --link p2p)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }
build=$root/build loss=0,0.1,1,2,5,10 seeds=3 mib=4 delay=10
while [[ $# -gt 0 ]]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --loss) loss=${2:?--loss needs a list}; shift 2 ;;
    --seeds) seeds=${2:?--seeds needs a number}; shift 2 ;;
    --mib) mib=${2:?--mib needs a number}; shift 2 ;;
    --delay) delay=${2:?--delay needs milliseconds}; shift 2 ;;
    -*) echo "relay_sweep: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) build=$1; shift ;;
  esac
done
[[ $seeds =~ ^[1-9][0-9]*$ && $mib =~ ^[1-9][0-9]*$ && $delay =~ ^[0-9]+$ ]] ||
  { echo "relay_sweep: --seeds and --mib must be positive integers, --delay a whole number of ms" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "relay_sweep: needs root (namespaces, veth)" >&2; exit 1; }
json=$(mktemp)
trap 'rm -f "$json"' EXIT
IFS=, read -ra rates <<<"$loss"
for rate in "${rates[@]}"; do
  drop=$(python3 -c "import sys; r=float(sys.argv[1]); assert 0 <= r < 100; print(r / 100)" "$rate") ||
    { echo "relay_sweep: bad loss rate '$rate' (percent, 0..100)" >&2; exit 2; }
  for seed in $(seq "$seeds"); do
    printf 'relay_sweep: loss %s %%, seed %s ...\r' "$rate" "$seed" >&2
    "$root/bench/relay_loss.sh" "$build" "$mib" "$drop" "$delay" 0 "$seed" | grep '^{' >>"$json"
  done
done
printf '%60s\r' '' >&2
python3 - "$json" "$mib" "$delay" <<'EOF'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
print(f"{sys.argv[2]} MiB across mtcpp-relay, {sys.argv[3]} ms each way, random loss each way; seconds over the seeds")
print(f"{'transfer':28} {'loss %':>7} {'median':>9} {'fastest':>9} {'slowest':>9} {'Mbit/s':>8} {'failed':>6} {'vs linux':>8}")
summaries = []
order = []
for r in rows:
    if r["transfer"] not in order:
        order.append(r["transfer"])
for drop in sorted({r["drop"] for r in rows}):
    medians = {}
    for name in order:
        runs = [r for r in rows if r["transfer"] == name and r["drop"] == drop]
        times = sorted(r["seconds"] for r in runs if not r.get("failed"))
        failed = sum(1 for r in runs if r.get("failed"))
        if not runs:
            continue
        med = statistics.median(times) if times else None
        medians[name] = med
        summaries.append({"bench": "relay_sweep", "transfer": name, "loss": drop, "seeds": len(runs),
                          "median_s": med, "min_s": times[0] if times else None,
                          "max_s": times[-1] if times else None, "failed": failed,
                          "goodput_mbit_s": round(runs[0]["bytes"] * 8 / med / 1e6, 2) if med else None})
    base = medians.get("linux -> linux (cubic)")
    for s in summaries:
        if s["loss"] != drop:
            continue
        ratio = ""
        if s["transfer"].startswith("mtcpp (cubic)") and base and s["median_s"]:
            ratio = f"{s['median_s'] / base:.2f}x"
            s["time_vs_linux_cubic"] = round(s["median_s"] / base, 3)
        fmt = lambda v: f"{v:9.3f}" if v is not None else f"{'-':>9}"
        print(f"{s['transfer']:28} {drop * 100:7.1f} {fmt(s['median_s'])} {fmt(s['min_s'])} {fmt(s['max_s'])} "
              f"{(s['goodput_mbit_s'] or 0):8.1f} {s['failed']:6} {ratio:>8}")
for r in rows:
    print(json.dumps(r))
for s in summaries:
    print(json.dumps(s))
EOF
