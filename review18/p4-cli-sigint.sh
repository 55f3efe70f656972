#!/bin/bash
# Ctrl-C of the CLI broker under node, bun and deno: it must exit promptly (0 or 130), and leave no
# ipc socket file behind. Usage: review18/p4-cli-sigint.sh
cd "$(dirname "$0")"; B=../node_modules/.bin
for r in "node" "$B/bun" "$B/deno run -A"; do
  sock=/tmp/r18-cli-$$-$RANDOM.sock; port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  out=$(mktemp)
  $r ../dist/cli.js broker --frontend tcp://127.0.0.1:$port --backend ipc://$sock > $out 2>&1 & pid=$!
  for i in $(seq 50); do [ -S $sock ] && break; sleep 0.1; done
  bound=$([ -S $sock ] && echo yes || echo no)
  kill -INT $pid; s=$(date +%s%N)
  for i in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then alive=STILL-RUNNING; kill -9 $pid; else alive=exited; fi
  wait $pid; rc=$?
  echo "$r: bound=$bound $alive rc=$rc after $(( ($(date +%s%N)-s)/1000000 ))ms; ipc file left: $([ -e $sock ] && echo YES || echo no); output: $(tr '\n' ' ' < $out | cut -c1-200)"
  rm -f $sock $out
done
