#!/bin/bash
# x86 instructions per call of one stride-2 depthwise layer on one kernels .wasm (issue 18, 2026-12-03):
#   bench/depthwise-s2-callgrind.sh WASM fwd|inp 112|224 BATCH LAYER [K=41]
# Counts the whole process under callgrind (V8's TurboFan code only: --no-liftoff; --single-threaded so that no
# background compiler or GC thread adds noise) once with 1 timed call and once with K, and prints
# (count(K) - count(1)) / (K - 1). Two repeats of the same measurement differed by 2.6 %.
set -euo pipefail
w=$1; d=$2; s=$3; b=$4; l=$5; K=${6:-41}
here=$(cd "$(dirname "$0")" && pwd)
ir() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null node --no-liftoff --single-threaded \
    "$here/depthwise-s2-count.mjs" "$w" "$d" "$s" "$b" "$1" "$l" 2>&1 | sed -n 's/.*Collected : //p'
}
a=$(ir 1); c=$(ir "$K")
echo "$w $d $s batch $b $l instructions/call $(( (c - a) / (K - 1) ))"
