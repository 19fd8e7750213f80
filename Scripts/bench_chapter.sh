#!/usr/bin/env bash
# Times a chapter's default run (bundled sample) in a debug and a release build, several
# times each, interleaved, and prints the medians and their ratio.
#   Scripts/bench_chapter.sh [Chapter01] [runs=5] [extra chapter arguments...]
set -euo pipefail
cd "$(dirname "$0")/.."
chapter=${1:-Chapter01}; runs=${2:-5}; shift $(( $# > 2 ? 2 : $# )) || true
swift build --product "$chapter" >/dev/null
swift build -c release --product "$chapter" >/dev/null
figures=$(mktemp -d)
declare -a debug release
for _ in $(seq "$runs"); do
  for config in debug release; do
    start=$(date +%s.%N)
    ".build/$config/$chapter" --figures "$figures" "$@" >/dev/null
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ "$config" = debug ]; then debug+=("$t"); else release+=("$t"); fi
  done
done
rm -rf "$figures"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
md=$(median "${debug[@]}"); mr=$(median "${release[@]}")
echo "$chapter, $runs runs each: debug median ${md}s, release median ${mr}s, debug/release $(echo "scale=2; $md / $mr" | bc)"
