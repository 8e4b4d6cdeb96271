#!/usr/bin/env bash
# Benchmarks `gatelint lint` against the tools users would otherwise run, on
# the same generated trees, in one run: crossplane (PyPI 0.5.8), gixy
# (gixy-next, 1k and 10k only) and `nginx -t` (Debian); then the corpus of
# real configurations, and the pest grammar's own throughput.
#
#   usage: benches/run.sh [SIZES…]      (default: 1000 10000 100000)
#   RUNS=3 PEER_RUNS=1                  (hyperfine runs: gatelint / the others)
#
# Trees come from ../shared/corpus/gen-large.py --servers N. For each tool it
# reports wall time (hyperfine, mean of runs), throughput in MB/s of config
# read, peak RSS (/usr/bin/time), and the ratio to gatelint; the table goes to
# stdout and benches/results.md. Installs hyperfine, crossplane, gixy-next and
# nginx when missing (root, apt-get and pip).
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(1000 10000 100000)
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

# Mean seconds of a command (exit codes ignored: linters exit 1 on findings).
# gatelint gets a warm-up and RUNS runs; the peers PEER_RUNS runs and no
# warm-up (gixy needs minutes per run at 10k).
wall() { hyperfine -N -i -w "${3:-1}" -r "${2:-${RUNS:-3}}" --export-json "$work/h.json" "$1" >/dev/null 2>&1 \
           && python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["results"][0]["mean"])' "$work/h.json" \
           || echo "-"; }
rss() { { /usr/bin/time -f "%M" bash -c "$1 >/dev/null 2>&1" 2>&1 || true; } | tail -1; }

out=benches/results.md
{
  echo "# gatelint benchmark"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); $(date -u +%Y-%m-%d)."
  echo "Trees from \`gen-large.py --servers N\`; wall time is hyperfine's mean of ${RUNS:-3} runs after a"
  echo "warm-up for gatelint, of ${PEER_RUNS:-1} run(s) for the others; peak RSS from \`/usr/bin/time\`."
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
    if [ "$tool" = gatelint ]; then t=$(wall "$cmd"); else t=$(wall "$cmd" "${PEER_RUNS:-1}" 0); fi
    m=$(rss "$cmd")
    [ "$tool" = gatelint ] && base=$t
    rate=$(python3 -c "print('%.1f' % ($mb/$t))" 2>/dev/null || echo "-")
    ratio=$(python3 -c "print('%.1f' % ($t/$base))" 2>/dev/null || echo "-")
    echo "| $n | $mb | $tool | $t | $rate | $((m / 1024)) | $ratio |" >> "$out"
  done
  unset cmds
done

# The corpus of real configurations (../shared/corpus/build.sh), when built.
corpus=${GATELINT_CORPUS:-/tmp/corpus}
if [ -d "$corpus" ]; then
  mb=$(du -sm --apparent-size --exclude='.*' "$corpus" | cut -f1)   # not its download cache
  t=$(wall "$gatelint lint $corpus --format json")
  m=$(rss "$gatelint lint $corpus --format json")
  {
    echo
    echo "The corpus of real configurations (\`../shared/corpus/build.sh\`, $mb MB of configuration"
    echo "files, every one gatelint recognises as nginx or Apache): $t s, peak RSS $((m / 1024)) MB."
  } >> "$out"
fi

# The pest grammar's own ceiling, on one core, on the largest tree.
largest="$work/tree-${sizes[-1]}"
{
  echo
  echo "Parse throughput on one core (\`cargo bench --bench parse -- tree-${sizes[-1]}\`):"
  echo
  echo '```'
  cargo bench --locked -q --bench parse -- "$largest" 3 2>/dev/null | tail -3
  echo '```'
  echo
  echo "Where the time goes, what was changed and why the targets are or are not met:"
  echo "ARCHITECTURE.md, section \"Speed\" (profiles with \`--timings\` and \`perf\`)."
} >> "$out"
cat "$out"
