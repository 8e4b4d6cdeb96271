#!/usr/bin/env bash
# Benchmarks `gatelint lint` against the tools users would otherwise run, on
# the same generated trees, in one run: crossplane (PyPI 0.5.8), gixy
# (gixy-next, 1k and 10k only) and `nginx -t` (Debian).
#
#   usage: benches/run.sh [SIZES…]      (default: 1000 10000; add 100000 for the big one)
#
# Trees come from ../shared/corpus/gen-large.py --servers N. For each tool it
# reports wall time (hyperfine, mean of runs), throughput in MB/s of config
# read, peak RSS (/usr/bin/time), and the ratio to gatelint; the table goes to
# stdout and benches/results.md. Installs hyperfine, crossplane, gixy-next and
# nginx when missing (root, apt-get and pip).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000)
work=${BENCH_DIR:-/tmp/gatelint-bench}
gen=../shared/corpus/gen-large.py
mkdir -p "$work"

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine || ! need nginx; then
  timeout 300 apt-get update -q >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q hyperfine nginx >/dev/null 2>&1 || true
fi
need crossplane || timeout 300 python3 -m pip install -q crossplane==0.5.8 >/dev/null 2>&1 || true
need gixy || timeout 300 python3 -m pip install -q gixy-next >/dev/null 2>&1 || true
need hyperfine || { echo "bench: hyperfine is required" >&2; exit 2; }

cargo build --release --locked -q
gatelint=$PWD/target/release/gatelint

# mean seconds of a command (exit codes ignored: linters exit 1 on findings)
wall() { hyperfine -N -i -w 1 -r "${RUNS:-3}" --export-json "$work/h.json" "$1" >/dev/null 2>&1 \
           && python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/h.json" \
           || echo "-"; }
rss() { { /usr/bin/time -f "%M" bash -c "$1 >/dev/null 2>&1" 2>&1 || true; } | tail -1; }

out=benches/results.md
{
  echo "# gatelint benchmark"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); $(date -u +%Y-%m-%d)."
  echo "Trees from \`gen-large.py --servers N\`; wall time is hyperfine's mean of ${RUNS:-3} runs."
  echo
  echo "| servers | MB | tool | wall (s) | MB/s | peak RSS (MB) | × gatelint |"
  echo "| ---: | ---: | --- | ---: | ---: | ---: | ---: |"
} > "$out"

for n in "${sizes[@]}"; do
  tree="$work/tree-$n"
  [ -f "$tree/nginx.conf" ] || python3 "$gen" --servers "$n" --out "$tree" >/dev/null
  mb=$(du -sm --apparent-size "$tree" | cut -f1)
  declare -A cmds=(
    [gatelint]="$gatelint lint $tree --format json"
    [crossplane]="crossplane parse $tree/nginx.conf -o /dev/null"
    [nginx -t]="nginx -q -t -p $tree/ -c $tree/nginx.conf"
  )
  [ "$n" -le 10000 ] && need gixy && cmds[gixy]="gixy $tree/nginx.conf"
  base=""
  for tool in gatelint crossplane gixy "nginx -t"; do
    cmd=${cmds[$tool]:-}
    [ -n "$cmd" ] || continue
    need "${cmd%% *}" || continue
    t=$(wall "$cmd"); m=$(rss "$cmd")
    [ "$tool" = gatelint ] && base=$t
    rate=$(python3 -c "print('%.1f' % ($mb/$t))" 2>/dev/null || echo "-")
    ratio=$(python3 -c "print('%.1f' % ($t/$base))" 2>/dev/null || echo "-")
    echo "| $n | $mb | $tool | $t | $rate | $((m / 1024)) | $ratio |" >> "$out"
  done
  unset cmds
done
cat "$out"
