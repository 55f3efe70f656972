// Probe: does `while (!stop) await pub.send(...)` on a PUB with no subscriber give timers a turn?
// node review/p10-starve.probe.mjs zeromq|zmtp [Publisher|XPublisher|XSubscriber]   (zmtp: after npx tsup)
const lib = await import(process.argv[2] === "zmtp" ? "../dist/index.js" : "zeromq")
const pub = new lib[process.argv[3] ?? "Publisher"](); await pub.bind("tcp://127.0.0.1:*")
let stop = false, n = 0
setTimeout(() => (stop = true), 100)
const guard = setTimeout(() => { console.log(process.argv[2], "starved? (guard)"); process.exit(1) }, 5000)
const t0 = Date.now()
while (!stop && n < 5e6) { await pub.send("x"); n++ }
console.log(process.argv[2], process.argv[3] ?? "Publisher", stop ? `timer ran after ${n} sends, ${Date.now() - t0} ms` : `timer never ran in ${n} sends (${Date.now() - t0} ms)`)
clearTimeout(guard); pub.close()
