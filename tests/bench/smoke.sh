#!/usr/bin/env bash
# The benchmark driver, end to end and small: every workload runs on mtcpp and on Linux (3 pairs,
# short trials) and writes its JSON; then, as root, a few with mtcpp over DPDK (--io dpdk). Reports figures, never asserts speed: it checks that every
# workload produced a summary, that each side moved data, and that nothing failed.
# Usage: tests/bench/smoke.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: smoke.sh BUILD_DIR}
json=$(mktemp /tmp/mtcpp-bench-smoke.XXXXXX.json)
json_dpdk=$(mktemp /tmp/mtcpp-bench-smoke-dpdk.XXXXXX.json)
trap 'rm -f "$json" "$json_dpdk"' EXIT

workloads=cps,cps-sc,rr,rr1,bulk1500,bulk9000,lat,lat-busy,cps-1core,rr-1core,conns,timewait,cost
# valgrind cannot run a program built with AddressSanitizer: the sanitized build counts no
# instructions (the Release build does).
if grep -q '^MTCPP_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  workloads=${workloads%,cost}
  echo "smoke: sanitized build: instruction counts are left to the Release build (valgrind and ASan do not mix)"
fi

"$build/bench/mtcpp-bench" --workloads "$workloads" --pairs 3 --control 1 --warmup-ms 20 --trial-ms 100 \
  --conns-max 2000 --timewait-connections 2000 --cost-scale 0.05 --json "$json" --commit smoke

python3 - "$json" "$workloads" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
wanted = sys.argv[2].split(",")
problems = []
summaries = {l["workload"]: l for l in lines if l["type"] == "summary"}
for w in wanted:
    if w == "conns":
        got = {l["system"]: l for l in lines if l["type"] == "conns"}
        for system in ("mtcpp", "linux"):
            if got.get(system, {}).get("connections", 0) <= 0:
                problems.append(f"conns: {system} opened no connection")
    elif w == "timewait":
        got = [l for l in lines if l["type"] == "timewait"]
        if not got or got[0]["connections"] != 2000 or got[0]["ns_per_tick"] <= 0:
            problems.append(f"timewait: {got}")
    elif w == "cost":
        got = {l["workload"]: l for l in lines if l["type"] == "cost"}
        for k in ("rr", "cps", "bulk1500"):
            if not got.get(k, {}).get("instructions"):
                problems.append(f"cost {k}: no instruction count ({got.get(k, {}).get('error')})")
    elif w not in summaries:
        problems.append(f"{w}: no summary")
    elif summaries[w]["pairs"] != 3 or not (summaries[w]["mtcpp_median"] > 0 and summaries[w]["linux_median"] > 0):
        problems.append(f"{w}: {summaries[w]}")
failed = [l for l in lines if l["type"] == "trial" and (l.get("error") or l["failures"])]
problems += [f"trial failed: {l}" for l in failed]
print(f"smoke: {len(lines)} JSON lines, {len(summaries)} summaries")
for p in problems:
    print("smoke:", p)
sys.exit(1 if problems else 0)
PY

# mtcpp over DPDK (two net_ring ports in the process, --no-huge): root only, as every DPDK test.
if [[ $(id -u) -ne 0 ]]; then
  echo "smoke: not root: --io dpdk left out"
  exit 0
fi
"$build/bench/mtcpp-bench" --io dpdk --workloads rr,cps,bulk9000,lat-busy --pairs 3 --control 1 --warmup-ms 20 \
  --trial-ms 100 --json "$json_dpdk" --commit smoke
python3 - "$json_dpdk" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
run = [l for l in lines if l["type"] == "run"]
summaries = {l["workload"]: l for l in lines if l["type"] == "summary"}
problems = [] if run and run[0]["io"] == "dpdk net_ring" else [f"run line: {run}"]
for w in ("rr", "cps", "bulk9000", "lat-busy"):
    s = summaries.get(w)
    if not s or s["pairs"] != 3 or not s["mtcpp_median"] > 0:
        problems.append(f"dpdk {w}: {s}")
problems += [f"dpdk trial failed: {l}" for l in lines if l["type"] == "trial" and (l.get("error") or l["failures"])]
print(f"smoke: --io dpdk: {len(summaries)} summaries")
for p in problems:
    print("smoke:", p)
sys.exit(1 if problems else 0)
PY
