#!/bin/sh
# Runs a TypeScript probe: bundles it with esbuild (src/ included), then node. Usage: scratch/run.sh scratch/x.mts
out=scratch/.out-$(basename "$1" .mts).mjs
npx esbuild "$1" --bundle --platform=node --format=esm --external:zeromq --outfile="$out" --log-level=warning && node "$out"
