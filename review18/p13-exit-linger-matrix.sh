#!/bin/bash
# test/dropin/fixtures/exit-linger.cjs (blocky/linger at exit; test/dropin is Node-only) run with
# zmtp's dist under node, bun and deno: does the process exit within 3.5 s, with what code, how
# long, and which warning. Usage: review18/p13-exit-linger-matrix.sh
cd "$(dirname "$0")/.."; B=node_modules/.bin; F=test/dropin/fixtures/exit-linger.cjs
export ZMQ_MODULE=$PWD/dist/index.cjs
fp() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
for c in ":-:absent:0" "true:-1:absent:1" "false::absent:0" "true:0:absent:1" "true:300:absent:0" "true:1500:absent:1" "false:1500:absent:0" "true:-1:connected:0" "::connected:1"; do
  IFS=: read BLOCKY LINGER PEER CLOSE <<<"$c"; [ "$BLOCKY" = "-" ] && BLOCKY=""; [ "$LINGER" = "-" ] && LINGER=""
  line="blocky=${BLOCKY:-default} linger=${LINGER:-default} $PEER close=$CLOSE:"
  for r in "node" "$B/bun" "$B/deno run -A"; do
    s=$(date +%s%N); BLOCKY=$BLOCKY LINGER=$LINGER PEER=$PEER CLOSE=$CLOSE PORT=$(fp) timeout 3.5 $r $F > /tmp/r18e.out 2> /tmp/r18e.err; rc=$?
    w=$(grep -c 'WARNING: Waiting' /tmp/r18e.err); other=$(grep -v 'WARNING: Waiting' /tmp/r18e.err | head -c 80 | tr '\n' ' ')
    line="$line | $(basename ${r%% *}) rc=$rc $(( ($(date +%s%N)-s)/1000000 ))ms warn=$w ${other:+err=[$other]}"
  done
  echo "$line"
done
rm -f /tmp/r18e.out /tmp/r18e.err
