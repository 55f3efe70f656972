// Issue 18 (frame-memory on Node 24): does one gc() settle process.memoryUsage().arrayBuffers? Raw
// baseline, no zmtp: 262,143 one-octet Buffers made and dropped (as a trickle's chunks are), with
// Buffer.poolSize 8 or 64 KiB; prints arrayBuffers growth after one gc() and after a second.
//   node --expose-gc scratch/probe-gc-settle.mjs
const ab = () => process.memoryUsage().arrayBuffers
for (const pool of [8192, 65536]) {
  Buffer.poolSize = pool
  for (let run = 0; run < 3; run++) {
    gc(); gc()
    const b = ab()
    let x = 0
    for (let i = 0; i < 262143; i++) x += Buffer.from([i & 0xff])[0]
    gc()
    const one = ab() - b
    gc()
    const two = ab() - b
    console.log(`${process.version} pool ${pool}: after one gc +${one}, after two +${two}`)
  }
}
