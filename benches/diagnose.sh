#!/usr/bin/env bash
# Benchmarks `gatelint diagnose` on a generated 100 MB nginx error.log
# (benches/gen-error-log.py) against what people run by hand to the same
# end: `grep -c upstream` (count only) and a grep | sed | sort | uniq -c
# pipeline that groups by upstream. Wall time and peak RSS from
# /usr/bin/time; the table goes to stdout and benches/diagnose-results.md.
#
#   usage: benches/diagnose.sh [SIZE_MB]     (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-100}
work=${BENCH_DIR:-/tmp/gatelint-bench}
mkdir -p "$work"
log="$work/error-$size.log"
[ -f "$log" ] || python3 benches/gen-error-log.py "$log" "$size"
cargo build --release --locked -q
gatelint=$PWD/target/release/gatelint

# Output goes to a file: GNU grep stops at the first match when it writes to
# /dev/null, which would time nothing.
measure() { # prints "seconds peak_MB"
  /usr/bin/time -f "%e %M" bash -c "$1 >$work/out 2>&1" 2>&1 | tail -1 | awk '{printf "%s %.0f", $1, $2/1024}'
}
declare -a names=("gatelint diagnose" "grep -c" "grep \\| sed \\| sort \\| uniq -c")
declare -a cmds=(
  "$gatelint diagnose $log --config examples/nginx --format json"
  "grep -c 'upstream' $log"
  "grep -E 'connect\\(\\) failed|upstream timed out' $log | sed -E 's/.*upstream: \"([^\"]*)\".*/\\1/' | sort | uniq -c"
)
mb=$(du -m --apparent-size "$log" | cut -f1)
out=benches/diagnose-results.md
{
  echo "# gatelint diagnose benchmark"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); $(date -u +%Y-%m-%d)."
  echo "Log: \`benches/gen-error-log.py\`, $mb MB, $(wc -l < "$log") lines."
  echo
  echo "| tool | wall (s) | MB/s | peak RSS (MB) | groups by cause and upstream, maps to config |"
  echo "| --- | ---: | ---: | ---: | --- |"
} > "$out"
for i in "${!names[@]}"; do
  read -r secs rss <<< "$(measure "${cmds[$i]}")"
  rate=$(python3 -c "print('%.0f' % ($mb / max($secs, 0.001)))")
  what="no"
  [ "$i" -eq 0 ] && what="yes"
  [ "$i" -eq 2 ] && what="by upstream only"
  echo "| ${names[$i]} | $secs | $rate | $rss | $what |" >> "$out"
done
cat "$out"
