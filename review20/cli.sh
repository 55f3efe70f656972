#!/bin/bash
# The CLI with a bad endpoint among repeated --connect, and `zmtp broker` on a tcp backend.
cd "$(dirname "$0")/.."
FP=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
BP=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
node dist/cli.js broker --frontend tcp://127.0.0.1:$FP --backend tcp://127.0.0.1:$BP --quiet & B=$!
sleep 1
node dist/cli.js serve --connect tcp://127.0.0.1:$BP --connect tcp://127.0.0.1:1 --quiet & S=$!
sleep 1
for bad in "tcp://127.0.0.1:1" "tcp://no-such-host.invalid:5555" "bogus://x" "tcp://127.0.0.1"; do
  echo "== call with good + $bad"
  timeout 20 node dist/cli.js call echo '"hi"' --connect tcp://127.0.0.1:$FP --connect "$bad" --timeout 1000 --retries 2; echo "rc=$?"
  echo "== call with $bad first"
  timeout 20 node dist/cli.js call echo '"hi"' --connect "$bad" --connect tcp://127.0.0.1:$FP --timeout 1000 --retries 2; echo "rc=$?"
done
echo "== serve with a bad protocol among --connect"; timeout 5 node dist/cli.js serve --connect tcp://127.0.0.1:$BP --connect bogus://x; echo "rc=$?"
echo "== load"; timeout 20 node dist/cli.js load --connect tcp://127.0.0.1:$FP --connect tcp://127.0.0.1:1 --duration 2 --retries 3 --timeout 300 2>&1 | tail -3
kill $S $B; wait 2>/dev/null
