#!/bin/bash
# `zmtp start` (broker + 2 servers + client as child processes) interrupted after 2 s with SIGINT
# to the parent, under node, bun and deno: exit status, time to exit, processes left behind.
# Usage: review18/p16-start-sigint.sh
cd "$(dirname "$0")"; B=../node_modules/.bin
for r in "node" "$B/bun" "$B/deno run -A"; do
  setsid $r ../dist/cli.js start > /tmp/r18s.out 2>&1 & pid=$!
  sleep 2.5; kill -INT $pid; s=$(date +%s%N)
  for i in $(seq 80); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  alive=$(kill -0 $pid 2>/dev/null && echo STILL-RUNNING || echo exited); wait $pid 2>/dev/null; rc=$?
  sleep 0.3; left=$(pgrep -s $pid | wc -l); for p in $(pgrep -s $pid); do kill -9 $p; done
  echo "$(basename ${r%% *}): $alive rc=$rc after $(( ($(date +%s%N)-s)/1000000 ))ms, processes left in its session: $left; last line: $(tail -1 /tmp/r18s.out | cut -c1-120)"
done
rm -f /tmp/r18s.out
