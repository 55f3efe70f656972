// zmtp under Deno with the permissions a network library should need: tcp with --allow-net, ipc
// with --allow-read/--allow-write on its path. Prints what happened. Driven by p14-deno-perms.sh.
const what = process.argv[2] ?? "tcp"
try {
  const { Request, Reply } = await import("../dist/index.js")
  const ep = what === "ipc" ? `ipc:///tmp/r18-perm-${Date.now()}.sock` : "tcp://127.0.0.1:*"
  const rep = new Reply({ linger: 0 }); await rep.bind(ep)
  const req = new Request({ linger: 0, receiveTimeout: 3000 }); req.connect(rep.lastEndpoint)
  await req.send("ping"); const [q] = await rep.receive(); await rep.send(`${q} pong`)
  console.log(what, "ok:", (await req.receive())[0].toString()); req.close(); rep.close()
} catch (e) { console.log(what, "FAILED:", e.name, e.code ?? "", String(e.message).split("\n")[0]); if (process.env.STACK) console.log(e.stack) }
