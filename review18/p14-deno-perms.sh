#!/bin/bash
# Deno permissions: zmtp imports ws eagerly, and ws reads process.env.WS_NO_BUFFER_UTIL when
# loaded, so even a tcp-only program needs --allow-env. Usage: review18/p14-deno-perms.sh
cd "$(dirname "$0")"; D=../node_modules/.bin/deno; export NO_COLOR=1
for perms in "--allow-net" "--allow-net --allow-env" "--allow-net --allow-read=/tmp --allow-write=/tmp" "--allow-net --allow-env --allow-read=/tmp --allow-write=/tmp"; do
  for w in tcp ipc; do echo "deno run $perms: $(timeout 20 $D run $perms p14-deno-perms.mjs $w </dev/null 2>&1 | grep -v '^\s*at ' | head -1)"; done
done
