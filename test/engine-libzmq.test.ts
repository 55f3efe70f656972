/**
 * Issue "Core" item 7: the engine completes the NULL handshake with a libzmq peer (zeromq.js) and
 * exchanges 10,000 multipart messages over tcp and ipc, each side binding in turn.
 */
import { afterEach, describe, expect, it } from "vitest"
import * as zmq from "zeromq"
import * as z from "../src/index.js"
import { bindEndpoint, cleanupIpc, transports } from "./helpers.js"

const N = 10_000
const WINDOW = 500

afterEach(cleanupIpc)

function frames(i: number): Buffer[] {
  // Three frames, one of them long (> 255 octets) every 97 messages, so both size encodings cross.
  const big = i % 97 === 0 ? Buffer.alloc(300, i & 0xff) : Buffer.from([i & 0xff])
  return [Buffer.from(`msg-${i}`), Buffer.alloc(0), big]
}

/** Either library's Dealer or Router, as far as this test uses them. */
interface Sock {
  bind(ep: string): Promise<void>
  connect(ep: string): void
  send(m: Buffer[]): Promise<void>
  receive(): Promise<Buffer[]>
  close(): void
  readonly lastEndpoint: string | null
}

/**
 * A DEALER (routing id `id`) and a ROUTER exchange N messages each way; `binder` binds first. The
 * way back goes in windows smaller than the high-water mark, since a ROUTER drops what does not fit
 * (RFC 28).
 */
async function exchange(dealer: Sock, router: Sock, id: string, binder: Sock, transport: "tcp" | "ipc"): Promise<void> {
  const other = binder === dealer ? router : dealer
  try {
    await binder.bind(bindEndpoint(transport))
    other.connect(binder.lastEndpoint!)
    const receiving = (async () => {
      for (let i = 0; i < N; i++) {
        const [rid, ...rest] = await router.receive()
        expect(rid!.toString()).toBe(id)
        expect(rest).toEqual(frames(i))
      }
    })()
    for (let i = 0; i < N; i++) await dealer.send(frames(i))
    await receiving
    for (let w = 0; w < N; w += WINDOW) {
      for (let i = w; i < w + WINDOW; i++) await router.send([Buffer.from(id), ...frames(i)])
      for (let i = w; i < w + WINDOW; i++) expect(await dealer.receive()).toEqual(frames(i))
    }
  } finally {
    dealer.close()
    router.close()
  }
}

for (const transport of transports) {
  for (const zmtpBinds of [true, false]) {
    describe(`${transport}, ${zmtpBinds ? "zmtp" : "libzmq"} binds`, () => {
      it(`zmtp Dealer <-> libzmq Router: ${N} multipart messages each way`, async () => {
        const ours = new z.Dealer({ routingId: "zmtp-dealer" })
        const theirs = new zmq.Router()
        await exchange(ours, theirs, "zmtp-dealer", zmtpBinds ? ours : theirs, transport)
      })

      it(`libzmq Dealer <-> zmtp Router: ${N} multipart messages each way`, async () => {
        const ours = new z.Router()
        const theirs = new zmq.Dealer({ routingId: "libzmq-dealer" })
        await exchange(theirs, ours, "libzmq-dealer", zmtpBinds ? ours : theirs, transport)
      })
    })
  }
}
