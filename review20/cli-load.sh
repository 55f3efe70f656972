#!/bin/bash
# zmtp load against one broker, with and without a second --connect that refuses connections (port 1).
cd "$(dirname "$0")/.."
FP=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
BP=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
node dist/cli.js broker --frontend tcp://127.0.0.1:$FP --backend tcp://127.0.0.1:$BP --quiet & B=$!
sleep 1
node dist/cli.js serve --connect tcp://127.0.0.1:$BP --quiet & S=$!
sleep 1
echo "== good only"; timeout 20 node dist/cli.js load --connect tcp://127.0.0.1:$FP --duration 3 --retries 3 --timeout 300 2>&1 | tail -1
echo "== good + refused"; timeout 20 node dist/cli.js load --connect tcp://127.0.0.1:$FP --connect tcp://127.0.0.1:1 --duration 3 --retries 3 --timeout 300 2>&1 | tail -1
echo "== refused + good"; timeout 20 node dist/cli.js load --connect tcp://127.0.0.1:1 --connect tcp://127.0.0.1:$FP --duration 3 --retries 3 --timeout 300 2>&1 | tail -1
kill $S $B; wait 2>/dev/null
