#!/bin/bash
# The CLI as a user runs it under node, bun and deno: `req` to nobody (must time out with a
# non-zero exit), `req` interrupted by Ctrl-C while waiting, `rep` interrupted by Ctrl-C, and a
# `rep --count 1` answered by `req`. Usage: review18/p11-cli-cmds.sh
cd "$(dirname "$0")"; B=../node_modules/.bin
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
for r in "node" "$B/bun" "$B/deno run -A"; do
  p=$(fp); s=$(date +%s%N); out=$(timeout 20 $r ../dist/cli.js req hi --connect tcp://127.0.0.1:$p --timeout 500 2>&1); rc=$?
  echo "$r | req to nobody: rc=$rc $(( ($(date +%s%N)-s)/1000000 ))ms: $(echo $out | cut -c1-120)"
  p=$(fp); $r ../dist/cli.js req hi --connect tcp://127.0.0.1:$p --timeout 20000 > /tmp/r18o 2>&1 & pid=$!; sleep 1.5; kill -INT $pid; s=$(date +%s%N)
  for i in $(seq 40); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done; kill -0 $pid 2>/dev/null && { echo "  STILL RUNNING"; kill -9 $pid; }; wait $pid; rc=$?
  echo "$r | req Ctrl-C: rc=$rc after $(( ($(date +%s%N)-s)/1000000 ))ms: $(tr '\n' ' ' </tmp/r18o | cut -c1-120)"
  p=$(fp); $r ../dist/cli.js rep --bind tcp://127.0.0.1:$p --count 1 > /tmp/r18o 2>&1 & pid=$!; sleep 1.5
  out=$(timeout 20 $r ../dist/cli.js req a b --connect tcp://127.0.0.1:$p 2>&1); rc=$?; wait $pid; rc2=$?
  echo "$r | req->rep --count 1: req rc=$rc [$(echo $out)] rep rc=$rc2 [$(tr '\n' ' ' </tmp/r18o | cut -c1-100)]"
done
rm -f /tmp/r18o
