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

for (const transport of transports) {
  for (const zmtpBinds of [true, false]) {
    describe(`${transport}, ${zmtpBinds ? "zmtp" : "libzmq"} binds`, () => {
      it(`zmtp Dealer <-> libzmq Router: ${N} multipart messages each way`, async () => {
        const ours = new z.Dealer({ routingId: "zmtp-dealer" })
        const theirs = new zmq.Router()
        try {
          if (zmtpBinds) {
            await ours.bind(bindEndpoint(transport))
            theirs.connect(ours.lastEndpoint!)
          } else {
            await theirs.bind(bindEndpoint(transport))
            ours.connect(theirs.lastEndpoint!)
          }
          const receiving = (async () => {
            for (let i = 0; i < N; i++) {
              const [id, ...rest] = await theirs.receive()
              expect(id!.toString()).toBe("zmtp-dealer")
              expect(rest).toEqual(frames(i))
            }
          })()
          for (let i = 0; i < N; i++) await ours.send(frames(i))
          await receiving
          // A libzmq ROUTER drops what does not fit its high-water mark (RFC 28), so the way back
          // goes in windows smaller than the mark.
          for (let w = 0; w < N; w += WINDOW) {
            for (let i = w; i < w + WINDOW; i++) await theirs.send([Buffer.from("zmtp-dealer"), ...frames(i)])
            for (let i = w; i < w + WINDOW; i++) expect(await ours.receive()).toEqual(frames(i))
          }
        } finally {
          ours.close()
          theirs.close()
        }
      })

      it(`libzmq Dealer <-> zmtp Router: ${N} multipart messages each way`, async () => {
        const ours = new z.Router()
        const theirs = new zmq.Dealer({ routingId: "libzmq-dealer" })
        try {
          if (zmtpBinds) {
            await ours.bind(bindEndpoint(transport))
            theirs.connect(ours.lastEndpoint!)
          } else {
            await theirs.bind(bindEndpoint(transport))
            ours.connect(theirs.lastEndpoint!)
          }
          const receiving = (async () => {
            for (let i = 0; i < N; i++) {
              const [id, ...rest] = await ours.receive()
              expect(id!.toString()).toBe("libzmq-dealer")
              expect(rest).toEqual(frames(i))
            }
          })()
          for (let i = 0; i < N; i++) await theirs.send(frames(i))
          await receiving
          for (let w = 0; w < N; w += WINDOW) {
            for (let i = w; i < w + WINDOW; i++) await ours.send([Buffer.from("libzmq-dealer"), ...frames(i)])
            for (let i = w; i < w + WINDOW; i++) expect(await theirs.receive()).toEqual(frames(i))
          }
        } finally {
          ours.close()
          theirs.close()
        }
      })
    })
  }
}
