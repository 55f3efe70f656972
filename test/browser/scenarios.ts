/**
 * The client side of the browser scenarios (issue 19 item 3), written once and run twice: in
 * Chromium on the browser build (the test serves this file to the page, transpiled), and in Node on
 * src/index.ts, over ws:// and wss://. It imports nothing: the library comes in as `z`, and `opts`
 * adds socket options (wss trust in Node; a page uses the browser's). Each returns what it received.
 */
/* eslint-disable @typescript-eslint/no-explicit-any */
type Z = any

/** The client's part of a run: the Node side's endpoints and the CURVE server's public key. */
export interface ScenarioInput {
  rep: string
  pub: string
  rpc: string
  curve: string
  curveServerKey: string
  opts: Record<string, unknown>
}

async function timed<T>(p: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([p, new Promise<never>((_, rej) => (t = setTimeout(() => rej(new Error(`${what}: nothing within ${ms} ms`)), ms)))])
  } finally {
    clearTimeout(t)
  }
}

const text = (m: Uint8Array[]): string[] => m.map((f) => new TextDecoder().decode(f))

/** REQ in the client -> REP in Node: one request, one reply. */
export async function reqRep(z: Z, i: ScenarioInput): Promise<string[]> {
  const req = new z.Request({ ...i.opts })
  try {
    req.connect(i.rep)
    await req.send(["hello", "from the client"])
    return text(await timed(req.receive(), "REQ reply"))
  } finally {
    req.close()
  }
}

/** SUB in the client subscribes to "news" on a Node PUB that publishes "news" and "other". */
export async function subscribe(z: Z, i: ScenarioInput): Promise<string[]> {
  const sub = new z.Subscriber({ ...i.opts })
  try {
    sub.connect(i.pub)
    sub.subscribe("news")
    const got: string[] = []
    while (got.length < 3) got.push(text(await timed(sub.receive(), "SUB message")).join("|"))
    return got
  } finally {
    sub.close()
  }
}

/** An RPC call and a cast through the broker, whose frontend is bound on ws://. */
export async function rpc(z: Z, i: ScenarioInput): Promise<{ sum: unknown; castDone: boolean; error: string }> {
  const client = new z.RpcClient(i.rpc, { timeout: 10_000, socketOptions: { ...i.opts } })
  try {
    const sum = await client.call("add", [2, 40])
    await client.cast("note", { from: "client" })
    let error = ""
    await client.call("fail", []).catch((e: { code?: string; message: string }) => (error = `${e.code}: ${e.message}`))
    return { sum, castDone: true, error }
  } finally {
    client.close()
  }
}

/** DEALER in the client <-> ROUTER in Node over CURVE (the client's key pair made where it runs). */
export async function curve(z: Z, i: ScenarioInput): Promise<string[]> {
  const keys = z.curveKeyPair()
  const dealer = new z.Dealer({ ...i.opts, curveServerKey: i.curveServerKey, curvePublicKey: keys.publicKey, curveSecretKey: keys.secretKey })
  try {
    dealer.connect(i.curve)
    await dealer.send(["ping", keys.publicKey])
    return text(await timed(dealer.receive(), "ROUTER reply"))
  } finally {
    dealer.close()
  }
}
