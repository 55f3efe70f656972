#!/bin/bash
# Usage: review18/p3-exit-linger.sh [linger]   runs p3-exit-linger.mjs on node, bun and deno
cd "$(dirname "$0")"; B=../node_modules/.bin
for r in "node" "$B/bun" "$B/deno run -A"; do
  f=$(mktemp); /usr/bin/python3 pull.py 3000 > $f & py=$!
  while [ ! -s $f ]; do sleep 0.05; done; ep=$(head -1 $f)
  s=$(date +%s%N); timeout 30 $r p3-exit-linger.mjs $ep $1; rc=$?; w=$(( ($(date +%s%N)-s)/1000000 ))
  wait $py; echo "$r: exit=$rc wall=${w}ms pyzmq got: $(sed -n 2p $f) (of ${N:-2000})"; rm -f $f
done
