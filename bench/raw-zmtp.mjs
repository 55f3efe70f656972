// Minimal hand-rolled ZMTP 3.0 over plain `net` sockets: the "raw" baseline of the benchmark.
//
// It is the ceiling a pure-JavaScript ZMTP stack on Node can reach: the NULL handshake, then
// frames written straight to the socket (pre-built, batched into ~64 KiB writes for throughput)
// and parsed with the least possible work (the throughput receiver counts messages and skips
// bodies without touching them). No queues, no high-water marks, no routing, no reconnection.
// It speaks valid ZMTP (RFC 23), so its peer could be libzmq as well as another raw endpoint.

import net from "node:net"

const FLAG_MORE = 0x01
const FLAG_LONG = 0x02
const FLAG_COMMAND = 0x04

/** RFC 23 "The Greeting": signature, version 3.0, mechanism NULL, as-server 0, zero filler. */
export function greeting() {
  const b = Buffer.alloc(64)
  b[0] = 0xff
  b[9] = 0x7f
  b[10] = 3
  b[11] = 0
  b.write("NULL", 12, "ascii")
  return b
}

/** RFC 23 "The NULL Security Mechanism": a READY command carrying the Socket-Type property. */
export function readyCommand(socketType) {
  const name = Buffer.from("READY")
  const prop = Buffer.from("Socket-Type")
  const value = Buffer.from(socketType)
  const body = Buffer.alloc(1 + name.length + 1 + prop.length + 4 + value.length)
  let o = 0
  body[o++] = name.length
  o += name.copy(body, o)
  body[o++] = prop.length
  o += prop.copy(body, o)
  body.writeUInt32BE(value.length, o)
  o += 4
  value.copy(body, o)
  return Buffer.concat([Buffer.from([FLAG_COMMAND, body.length]), body])
}

function headerSize(size) {
  return size > 255 ? 9 : 2
}

function writeHeader(out, o, size, flags) {
  if (size > 255) {
    out[o] = flags | FLAG_LONG
    out.writeUInt32BE(Math.floor(size / 0x100000000), o + 1)
    out.writeUInt32BE(size >>> 0, o + 5)
    return o + 9
  }
  out[o] = flags
  out[o + 1] = size
  return o + 2
}

/** One multipart message as contiguous wire bytes. */
export function encodeMessage(frames) {
  let total = 0
  for (const f of frames) total += headerSize(f.length) + f.length
  const out = Buffer.allocUnsafe(total)
  let o = 0
  for (let i = 0; i < frames.length; i++) {
    o = writeHeader(out, o, frames[i].length, i < frames.length - 1 ? FLAG_MORE : 0)
    o += frames[i].copy(out, o)
  }
  return out
}

/**
 * A write chunk of as many copies of `frames` (one message) as fit in `chunkSize` octets, at least
 * one. Returns the chunk and the number of messages it holds.
 */
export function buildChunk(frames, chunkSize = 64 * 1024) {
  const one = encodeMessage(frames)
  const k = Math.max(1, Math.floor(chunkSize / one.length))
  const chunk = Buffer.allocUnsafe(one.length * k)
  for (let i = 0; i < k; i++) one.copy(chunk, i * one.length)
  return { chunk, messages: k }
}

/**
 * Sends our greeting and READY at once, then reads the peer's greeting and its first command (its
 * READY; a NULL peer sends nothing else before traffic). Resolves with the bytes that followed.
 * Peers may deliver the greeting in parts (libzmq sends 11 octets first), so this accumulates.
 */
export function handshake(sock, socketType) {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0)
    const onData = (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk
      if (buf.length < 66) return
      if (buf[0] !== 0xff || buf[9] !== 0x7f || buf[10] < 3) return fail(new Error("raw: not a ZMTP 3 peer"))
      const flags = buf[64]
      if (!(flags & FLAG_COMMAND)) return fail(new Error("raw: expected a command after the greeting"))
      let size
      let start
      if (flags & FLAG_LONG) {
        if (buf.length < 73) return
        size = buf.readUInt32BE(65) * 0x100000000 + buf.readUInt32BE(69)
        start = 73
      } else {
        size = buf[65]
        start = 66
      }
      if (buf.length < start + size) return
      done()
      resolve(buf.subarray(start + size))
    }
    const onError = (e) => fail(e)
    const onClose = () => fail(new Error("raw: connection closed during handshake"))
    const done = () => {
      sock.off("data", onData)
      sock.off("error", onError)
      sock.off("close", onClose)
    }
    const fail = (e) => {
      done()
      sock.destroy()
      reject(e)
    }
    sock.on("data", onData)
    sock.on("error", onError)
    sock.on("close", onClose)
    sock.write(Buffer.concat([greeting(), readyCommand(socketType)]))
  })
}

/**
 * Counts whole messages (frames without MORE, commands excluded) without looking at their bodies.
 * `push(chunk)` returns how many messages ended in that chunk.
 */
export class MessageCounter {
  constructor() {
    this.bodyLeft = 0
    this.last = false // the frame being skipped ends a message
    this.hdr = Buffer.alloc(9)
    this.hdrLen = 0
  }

  push(chunk) {
    let i = 0
    let msgs = 0
    const n = chunk.length
    while (i < n) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, n - i)
        this.bodyLeft -= take
        i += take
        if (this.bodyLeft === 0 && this.last) msgs++
        continue
      }
      let flags
      let size
      if (this.hdrLen === 0 && n - i >= 9) {
        flags = chunk[i]
        if (flags & FLAG_LONG) {
          size = chunk.readUInt32BE(i + 1) * 0x100000000 + chunk.readUInt32BE(i + 5)
          i += 9
        } else {
          size = chunk[i + 1]
          i += 2
        }
      } else {
        // A header split across chunks: collect it octet by octet.
        this.hdr[this.hdrLen++] = chunk[i++]
        const need = this.hdr[0] & FLAG_LONG ? 9 : 2
        if (this.hdrLen < need) continue
        flags = this.hdr[0]
        size = need === 9 ? this.hdr.readUInt32BE(1) * 0x100000000 + this.hdr.readUInt32BE(5) : this.hdr[1]
        this.hdrLen = 0
      }
      this.last = !(flags & (FLAG_MORE | FLAG_COMMAND))
      this.bodyLeft = size
      if (size === 0 && this.last) msgs++
    }
    return msgs
  }
}

/**
 * Parses whole messages (arrays of frame bodies; commands dropped) and calls `onMessage(frames)`.
 * Bodies are views into the chunk when they fit in it, copies when they straddle chunks.
 */
export class MessageReader {
  constructor(onMessage) {
    this.onMessage = onMessage
    this.frames = []
    this.hdr = Buffer.alloc(9)
    this.hdrLen = 0
    this.body = null // partial body being filled
    this.bodyHave = 0
    this.flags = 0
  }

  push(chunk) {
    let i = 0
    const n = chunk.length
    while (i < n) {
      if (this.body !== null) {
        const take = Math.min(this.body.length - this.bodyHave, n - i)
        chunk.copy(this.body, this.bodyHave, i, i + take)
        this.bodyHave += take
        i += take
        if (this.bodyHave === this.body.length) {
          const b = this.body
          this.body = null
          this.frame(b)
        }
        continue
      }
      this.hdr[this.hdrLen++] = chunk[i++]
      const need = this.hdr[0] & FLAG_LONG ? 9 : 2
      if (this.hdrLen < need) continue
      this.flags = this.hdr[0]
      const size = need === 9 ? this.hdr.readUInt32BE(1) * 0x100000000 + this.hdr.readUInt32BE(5) : this.hdr[1]
      this.hdrLen = 0
      if (n - i >= size) {
        const b = chunk.subarray(i, i + size)
        i += size
        this.frame(b)
      } else {
        this.body = Buffer.allocUnsafe(size)
        this.bodyHave = 0
      }
    }
  }

  frame(body) {
    if (this.flags & FLAG_COMMAND) return
    this.frames.push(body)
    if (this.flags & FLAG_MORE) return
    const m = this.frames
    this.frames = []
    this.onMessage(m)
  }
}

/** Connects a net socket to a `tcp://host:port` or `ipc:///path` endpoint and completes the handshake. */
export async function connect(endpoint, socketType) {
  const sock = await new Promise((resolve, reject) => {
    const s = net.connect(netOptions(endpoint))
    s.once("connect", () => {
      s.off("error", reject)
      resolve(s)
    })
    s.once("error", reject)
  })
  sock.setNoDelay(true)
  const rest = await handshake(sock, socketType)
  return { sock, rest }
}

/**
 * Listens on a `tcp://127.0.0.1:0` or `ipc:///path` endpoint; `onPeer({ sock, rest })` runs once
 * each accepted connection finished its handshake. Resolves with the server and its endpoint.
 */
export async function listen(endpoint, socketType, onPeer) {
  const server = net.createServer((s) => {
    s.setNoDelay(true)
    s.on("error", () => {})
    handshake(s, socketType).then(
      (rest) => onPeer({ sock: s, rest }),
      () => s.destroy(),
    )
  })
  await new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(netOptions(endpoint), () => {
      server.off("error", reject)
      resolve()
    })
  })
  const a = server.address()
  const bound = typeof a === "string" ? `ipc://${a}` : `tcp://${a.address}:${a.port}`
  return { server, endpoint: bound }
}

function netOptions(endpoint) {
  if (endpoint.startsWith("ipc://")) return { path: endpoint.slice(6) }
  const m = /^tcp:\/\/(.+):(\d+|\*)$/.exec(endpoint)
  if (!m) throw new Error(`raw: unsupported endpoint ${endpoint}`)
  return { host: m[1], port: m[2] === "*" ? 0 : Number(m[2]) }
}
