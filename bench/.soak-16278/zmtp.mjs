// src/routing/load-balancer.ts
var LoadBalancer = class {
  pipes = [];
  next = 0;
  add(p) {
    this.pipes.push(p);
  }
  remove(p) {
    const i = this.pipes.indexOf(p);
    if (i < 0) return;
    this.pipes.splice(i, 1);
    if (this.next > i) this.next--;
    if (this.next >= this.pipes.length) this.next = 0;
  }
  /** The next pipe in turn with room, advancing the turn past it; undefined if none has room. */
  pick() {
    const n = this.pipes.length;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      const p = this.pipes[i];
      if (p.makeRoom()) {
        this.next = (i + 1) % n;
        return p;
      }
    }
    return void 0;
  }
  /** True if some pipe has room. */
  get hasRoom() {
    for (const p of this.pipes) if (p.writable) return true;
    return false;
  }
  get size() {
    return this.pipes.length;
  }
};

// src/codec/socket-types.ts
var compatible = {
  REQ: ["REP", "ROUTER"],
  REP: ["REQ", "DEALER"],
  DEALER: ["REP", "DEALER", "ROUTER"],
  ROUTER: ["REQ", "DEALER", "ROUTER"]
};
function isCompatible(ours, theirs) {
  return compatible[ours]?.includes(theirs) ?? false;
}
var socketTypeNumber = { REQ: 3, REP: 4, DEALER: 5, ROUTER: 6 };

// src/errors.ts
var messages = {
  EAGAIN: "Operation was not possible or timed out",
  EFSM: "Operation cannot be accomplished in current state",
  EHOSTUNREACH: "Host unreachable",
  EBADF: "Socket is closed",
  ENOTSOCK: "Socket operation on non-socket",
  EINVAL: "Invalid argument",
  EADDRINUSE: "Address already in use",
  EPROTONOSUPPORT: "Protocol not supported",
  ENAMETOOLONG: "File name too long"
};
var ZmtpError = class extends Error {
  /** Stable machine-readable code (EAGAIN, EFSM, ERR_ZMTP_FRAME ...). */
  code;
  /** The endpoint the error concerns, as zeromq.js reports it. */
  address;
  constructor(code, message, address) {
    super(message ?? messages[code] ?? code);
    this.name = "ZmtpError";
    this.code = code;
    if (address !== void 0) this.address = address;
  }
};
var ProtocolError = class extends ZmtpError {
  constructor(code, message) {
    super(code, message);
    this.name = "ProtocolError";
  }
};
function zerr(code, message, address) {
  return new ZmtpError(code, message, address);
}

// src/codec/greeting.ts
var GREETING_SIZE = 64;
function encodeGreeting(g) {
  const b = Buffer.alloc(GREETING_SIZE);
  b[0] = 255;
  b[9] = 127;
  b[10] = g.major ?? 3;
  b[11] = g.minor ?? 1;
  if (g.mechanism.length > 20 || !/^[A-Z0-9_-]+$/.test(g.mechanism)) {
    throw new RangeError(`invalid mechanism name ${JSON.stringify(g.mechanism)}`);
  }
  b.write(g.mechanism, 12, "ascii");
  b[32] = g.asServer ? 1 : 0;
  return b;
}
var GreetingParser = class {
  buf = Buffer.alloc(GREETING_SIZE);
  have = 0;
  /** The parsed greeting, once complete. */
  greeting;
  /**
   * Feeds bytes. Returns the number of bytes of `chunk` consumed (the rest belongs to the frames that
   * follow the greeting). Throws a {@link ProtocolError} on a bad greeting: the caller's engine turns
   * that into closing this one connection.
   */
  feed(chunk) {
    if (this.greeting) return 0;
    const before = this.have;
    const take = Math.min(GREETING_SIZE - this.have, chunk.length);
    chunk.copy(this.buf, this.have, 0, take);
    this.have += take;
    const b = this.buf;
    if (before < 1 && this.have >= 1 && b[0] !== 255) {
      throw new ProtocolError("ERR_ZMTP_VERSION", "peer speaks ZMTP 1.0 (no signature); not supported");
    }
    if (before < 10 && this.have >= 10 && (b[9] & 1) !== 1) {
      throw new ProtocolError("ERR_ZMTP_VERSION", "peer speaks ZMTP 1.0 (no version signature); not supported");
    }
    if (before < 11 && this.have >= 11 && b[10] < 3) {
      throw new ProtocolError("ERR_ZMTP_VERSION", `peer speaks ZMTP ${b[10]}.x; zmtp requires 3.0 or later`);
    }
    if (this.have === GREETING_SIZE) {
      const mechBytes = b.subarray(12, 32);
      const nul = mechBytes.indexOf(0);
      let mechanism = mechBytes.subarray(0, nul < 0 ? 20 : nul).toString("latin1");
      if (nul >= 0 && mechBytes.subarray(nul).some((x) => x !== 0)) mechanism = `${mechanism}\0(malformed)`;
      this.greeting = { major: b[10], minor: b[11], mechanism, asServer: b[32] === 1 };
    }
    return take;
  }
  /** Number of greeting octets received so far. */
  get received() {
    return this.have;
  }
};

// src/codec/frame-encoder.ts
var FLAG_MORE = 1;
var FLAG_LONG = 2;
var FLAG_COMMAND = 4;
function headerSize(size) {
  return size > 255 ? 9 : 2;
}
function writeHeader(out, offset, size, flags) {
  if (size > 255) {
    out[offset] = flags | FLAG_LONG;
    out.writeUInt32BE(Math.floor(size / 4294967296), offset + 1);
    out.writeUInt32BE(size >>> 0, offset + 5);
    return offset + 9;
  }
  out[offset] = flags;
  out[offset + 1] = size;
  return offset + 2;
}

// src/codec/frame-decoder.ts
var MAX_BUFFER = 2 ** 31 - 1;
var DEFAULT_MAX_COMMAND_SIZE = 1 << 20;
var FrameDecoder = class {
  constructor(sink, limits) {
    this.sink = sink;
    this.limits = limits;
  }
  sink;
  limits;
  state = 0 /* Flags */;
  flags = 0;
  size = 0;
  sizeBytes = Buffer.alloc(8);
  sizeHave = 0;
  /** Parts of a body that spans chunks. */
  parts = [];
  partsLen = 0;
  /** Frames of the multipart message being received. */
  frames = [];
  pending;
  /** Chunks fed while paused, behind `pending`. */
  held = [];
  /**
   * A frame put in front of every message (a ROUTER's routing id for this peer), so that the message
   * array is built once in its final shape.
   */
  prefix;
  /** The error that stopped the decoder, if any. */
  error;
  /** True while the decoder holds input it stopped on because the sink asked it to. */
  get paused() {
    return this.pending !== void 0;
  }
  /** Number of complete frames of a message still being received (a partial message is never delivered). */
  get partialFrames() {
    return this.frames.length - (this.frames.length > 0 && this.frames[0] === this.prefix ? 1 : 0);
  }
  /** Feeds a chunk. Returns the protocol error that stopped decoding, once; otherwise undefined. */
  feed(chunk) {
    if (this.state === 4 /* Failed */) return void 0;
    if (this.pending) {
      this.held.push(chunk);
      return void 0;
    }
    return this.run(chunk);
  }
  /** Continues with input held since the sink asked to stop. */
  resume() {
    let p = this.pending;
    if (!p || this.state === 4 /* Failed */) return void 0;
    if (this.held.length > 0) {
      p = Buffer.concat([p, ...this.held]);
      this.held = [];
    }
    this.pending = void 0;
    return this.run(p);
  }
  fail(code, message) {
    this.state = 4 /* Failed */;
    this.parts = [];
    this.frames = [];
    this.pending = void 0;
    this.held = [];
    this.error = new ProtocolError(code, message);
    return this.error;
  }
  run(chunk) {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.state) {
        case 0 /* Flags */: {
          const f0 = chunk[i];
          if ((f0 & ~FLAG_MORE) === 0 && i + 1 < n) {
            const size = chunk[i + 1];
            const end = i + 2 + size;
            if (end <= n && (this.limits.maxMessageSize < 0 || size <= this.limits.maxMessageSize)) {
              const body = chunk.subarray(i + 2, end);
              i = end;
              if (f0 === 0 && this.frames.length === 0) {
                const msg = this.prefix ? [this.prefix, body] : [body];
                if (this.sink.message(msg) === false) return this.stopAt(chunk, i);
                break;
              }
              if (this.frames.length === 0 && this.prefix) this.frames.push(this.prefix);
              this.frames.push(body);
              if (f0 === 0) {
                const msg = this.frames;
                this.frames = [];
                if (this.sink.message(msg) === false) return this.stopAt(chunk, i);
              }
              break;
            }
          }
          const f = chunk[i++];
          if (f & 248) return this.fail("ERR_ZMTP_FRAME", `reserved flag bits set (0x${f.toString(16)})`);
          if (f & FLAG_COMMAND && f & FLAG_MORE) return this.fail("ERR_ZMTP_FRAME", "MORE flag set on a command frame");
          this.flags = f;
          this.sizeHave = 0;
          this.state = f & FLAG_LONG ? 2 /* LongSize */ : 1 /* ShortSize */;
          break;
        }
        case 1 /* ShortSize */: {
          const err = this.startBody(chunk[i++]);
          if (err) return err;
          if (this.size === 0 && this.emit(Buffer.alloc(0))) return this.stopAt(chunk, i);
          break;
        }
        case 2 /* LongSize */: {
          const take = Math.min(8 - this.sizeHave, n - i);
          chunk.copy(this.sizeBytes, this.sizeHave, i, i + take);
          this.sizeHave += take;
          i += take;
          if (this.sizeHave < 8) break;
          const hi = this.sizeBytes.readUInt32BE(0);
          const lo = this.sizeBytes.readUInt32BE(4);
          if (hi !== 0 || lo > MAX_BUFFER) {
            return this.fail("ERR_ZMTP_MSGSIZE", `frame declares ${hi * 2 ** 32 + lo} octets, above any limit`);
          }
          const err = this.startBody(lo);
          if (err) return err;
          if (this.size === 0 && this.emit(Buffer.alloc(0))) return this.stopAt(chunk, i);
          break;
        }
        case 3 /* Body */: {
          const want = this.size - this.partsLen;
          const avail = n - i;
          if (this.partsLen === 0 && avail >= want) {
            const body = chunk.subarray(i, i + want);
            i += want;
            if (this.emit(body)) return this.stopAt(chunk, i);
          } else if (avail >= want) {
            this.parts.push(chunk.subarray(i, i + want));
            i += want;
            const body = Buffer.concat(this.parts, this.size);
            this.parts = [];
            this.partsLen = 0;
            if (this.emit(body)) return this.stopAt(chunk, i);
          } else {
            this.parts.push(chunk.subarray(i));
            this.partsLen += avail;
            i = n;
          }
          break;
        }
        default:
          return void 0;
      }
    }
    return void 0;
  }
  startBody(size) {
    const command = (this.flags & FLAG_COMMAND) !== 0;
    const limit = command ? this.limits.maxCommandSize : this.limits.maxMessageSize;
    if (limit >= 0 && size > limit) {
      return this.fail("ERR_ZMTP_MSGSIZE", `${command ? "command" : "frame"} of ${size} octets exceeds the limit of ${limit}`);
    }
    this.size = size;
    this.partsLen = 0;
    this.state = 3 /* Body */;
    return void 0;
  }
  /** Hands a finished frame on. Returns true when the sink asked to stop. */
  emit(body) {
    this.state = 0 /* Flags */;
    const flags = this.flags;
    if (flags & FLAG_COMMAND) {
      this.sink.command(body);
      return false;
    }
    if (this.frames.length === 0 && this.prefix) this.frames.push(this.prefix);
    this.frames.push(body);
    if (flags & FLAG_MORE) return false;
    const msg = this.frames;
    this.frames = [];
    return this.sink.message(msg) === false;
  }
  stopAt(chunk, i) {
    if (i < chunk.length) this.pending = chunk.subarray(i);
    else this.pending = Buffer.alloc(0);
    return void 0;
  }
};

// src/codec/command.ts
function decodeCommand(body) {
  if (body.length < 1) throw new ProtocolError("ERR_ZMTP_COMMAND", "empty command");
  const len = body[0];
  if (len === 0 || 1 + len > body.length) throw new ProtocolError("ERR_ZMTP_COMMAND", "command name runs past the command");
  return { name: body.toString("latin1", 1, 1 + len), data: body.subarray(1 + len) };
}
function encodeCommand(name, data = Buffer.alloc(0)) {
  const bodyLen = 1 + name.length + data.length;
  const out = Buffer.allocUnsafe(headerSize(bodyLen) + bodyLen);
  let o = writeHeader(out, 0, bodyLen, FLAG_COMMAND);
  out[o++] = name.length;
  o += out.write(name, o, "latin1");
  data.copy(out, o);
  return out;
}
function encodeMetadata(props) {
  const parts = [];
  for (const [name, v] of props) {
    if (name.length < 1 || name.length > 255) throw new RangeError(`invalid property name ${JSON.stringify(name)}`);
    const value = typeof v === "string" ? Buffer.from(v) : v;
    const head = Buffer.allocUnsafe(1 + name.length + 4);
    head[0] = name.length;
    head.write(name, 1, "latin1");
    head.writeUInt32BE(value.length, 1 + name.length);
    parts.push(head, value);
  }
  return Buffer.concat(parts);
}
function decodeMetadata(data) {
  const props = /* @__PURE__ */ new Map();
  let i = 0;
  while (i < data.length) {
    const nameLen = data[i];
    if (nameLen === 0) throw new ProtocolError("ERR_ZMTP_INVALID_METADATA", "zero-sized property name");
    if (i + 1 + nameLen + 4 > data.length) throw new ProtocolError("ERR_ZMTP_INVALID_METADATA", "property name runs past the command");
    const name = data.toString("latin1", i + 1, i + 1 + nameLen).toLowerCase();
    i += 1 + nameLen;
    const valueLen = data.readUInt32BE(i);
    i += 4;
    if (valueLen > data.length - i) throw new ProtocolError("ERR_ZMTP_INVALID_METADATA", `property ${name} runs past the command`);
    props.set(name, data.subarray(i, i + valueLen));
    i += valueLen;
  }
  return props;
}
function encodeReady(props) {
  return encodeCommand("READY", encodeMetadata(props));
}
function encodeError(reason) {
  const r = Buffer.from(reason.slice(0, 255), "latin1");
  return encodeCommand("ERROR", Buffer.concat([Buffer.from([r.length]), r]));
}
function decodeErrorReason(data) {
  if (data.length < 1) return "";
  return data.toString("latin1", 1, Math.min(data.length, 1 + data[0]));
}
function encodePing(ttlDeciseconds, context = Buffer.alloc(0)) {
  if (context.length > 16) context = context.subarray(0, 16);
  const data = Buffer.allocUnsafe(2 + context.length);
  data.writeUInt16BE(Math.max(0, Math.min(65535, ttlDeciseconds)), 0);
  context.copy(data, 2);
  return encodeCommand("PING", data);
}
function decodePing(data) {
  if (data.length < 2) throw new ProtocolError("ERR_ZMTP_COMMAND", "PING shorter than its TTL field");
  return { ttl: data.readUInt16BE(0), context: data.subarray(2, 2 + 16) };
}
function encodePong(context) {
  return encodeCommand("PONG", context);
}

// src/engine/batch-writer.ts
var SLAB_SIZE = 64 * 1024;
var COPY_LIMIT = 2048;
var BatchWriter = class {
  slab = Buffer.allocUnsafe(SLAB_SIZE);
  pos = 0;
  start = 0;
  segments = [];
  /** Octets gathered since the last {@link take}. */
  bytes = 0;
  /** Adds every frame of a message. */
  addMessage(frames) {
    const last = frames.length - 1;
    for (let i = 0; i <= last; i++) {
      const body = frames[i];
      const len = body.length;
      const hs = headerSize(len);
      const flags = i < last ? FLAG_MORE : 0;
      if (len <= COPY_LIMIT) {
        this.reserve(hs + len);
        this.pos = writeHeader(this.slab, this.pos, len, flags);
        if (len > 0) this.pos += body.copy(this.slab, this.pos);
      } else {
        this.reserve(hs);
        this.pos = writeHeader(this.slab, this.pos, len, flags);
        this.cut();
        this.segments.push(body);
      }
      this.bytes += hs + len;
    }
  }
  /** Adds an already-encoded command frame. */
  addRaw(buf) {
    this.cut();
    this.segments.push(buf);
    this.bytes += buf.length;
  }
  /** Returns the gathered segments and starts afresh. */
  take() {
    this.cut();
    const s = this.segments;
    this.segments = [];
    this.bytes = 0;
    return s;
  }
  cut() {
    if (this.pos > this.start) {
      this.segments.push(this.slab.subarray(this.start, this.pos));
      this.start = this.pos;
    }
  }
  reserve(n) {
    if (this.slab.length - this.pos >= n) return;
    this.cut();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, n));
    this.pos = 0;
    this.start = 0;
  }
};

// src/mechanisms/encrypting-writer.ts
var GATHER_LIMIT = 16 * 1024;
var EncryptingWriter = class extends BatchWriter {
  constructor(codec) {
    super();
    this.codec = codec;
  }
  codec;
  small = [];
  smallBytes = 0;
  addMessage(frames) {
    const wire = this.codec.encodeMessage(frames);
    if (wire.length < GATHER_LIMIT) {
      this.small.push(wire);
      this.smallBytes += wire.length;
      this.bytes += wire.length;
      if (this.smallBytes >= GATHER_LIMIT) this.gather();
    } else {
      this.gather();
      super.addRaw(wire);
    }
  }
  addRaw(buf) {
    this.gather();
    super.addRaw(buf);
  }
  take() {
    this.gather();
    return super.take();
  }
  /** Moves the small boxed messages into the batch as one buffer, keeping their order. */
  gather() {
    if (this.small.length === 0) return;
    const buf = this.small.length === 1 ? this.small[0] : Buffer.concat(this.small, this.smallBytes);
    this.small = [];
    this.bytes -= this.smallBytes;
    this.smallBytes = 0;
    super.addRaw(buf);
  }
};

// src/engine/engine.ts
var WRITE_BUDGET = 256 * 1024;
var EMPTY = Buffer.alloc(0);
var END_GRACE = 1e3;
var Engine = class {
  constructor(socket, mechanism, opts, host, address) {
    this.socket = socket;
    this.mechanism = mechanism;
    this.opts = opts;
    this.host = host;
    this.address = address;
    this.writer = mechanism.codec ? new EncryptingWriter(mechanism.codec) : new BatchWriter();
    socket.on("data", (chunk) => this.onData(chunk));
    socket.on("end", () => this.close(void 0));
    socket.on("error", () => this.close(void 0));
    socket.on("close", () => this.close(void 0));
    socket.on("drain", () => {
      this.waitingDrain = false;
      this.flush();
    });
    if (opts.handshakeInterval > 0) {
      this.handshakeTimer = setTimeout(
        () => this.close(new ProtocolError("ERR_ZMTP_HANDSHAKE_TIMEOUT", "handshake not completed in time")),
        opts.handshakeInterval
      );
    }
    this.write(encodeGreeting({ mechanism: mechanism.name, asServer: mechanism.asServer, major: 3, minor: 1 }));
  }
  socket;
  mechanism;
  opts;
  host;
  address;
  state = 0 /* Greeting */;
  greeting = new GreetingParser();
  decoder;
  /** A BatchWriter, or for an encrypting mechanism (CURVE) one that boxes each frame. */
  writer;
  /** Decoder limits, kept to lift the command limit once an encrypting handshake is done. */
  limits;
  /** Frames of a message arriving in MESSAGE commands (CURVE), routing prefix first. */
  codecFrames = [];
  flushScheduled = false;
  flushing = false;
  finishing = false;
  lingerTimer;
  waitingDrain = false;
  pipe;
  /** Peer's minor version: PINGs go to 3.1 and later peers only (RFC 37). */
  peerMinor = 0;
  handshakeTimer;
  heartbeatTimer;
  heartbeatTimeoutTimer;
  ttlTimer;
  peerTtl = 0;
  /** Octets received and sent on this connection. */
  bytesIn = 0;
  bytesOut = 0;
  /** Resolves waiters of {@link flushed}. */
  flushWaiters = [];
  /** True once the handshake completed and until the connection closes. */
  get ready() {
    return this.state === 2 /* Traffic */;
  }
  /** The pipe this engine serves, once ready. */
  get attachedPipe() {
    return this.pipe;
  }
  // ---- input ---------------------------------------------------------------------------------
  onData(chunk) {
    this.bytesIn += chunk.length;
    if (this.finishing) return;
    try {
      this.touchInput();
      if (this.state === 0 /* Greeting */) {
        const used = this.greeting.feed(chunk);
        const g = this.greeting.greeting;
        if (!g) return;
        if (g.mechanism !== this.mechanism.name) {
          throw new ProtocolError("ERR_ZMTP_MECHANISM_MISMATCH", `peer mechanism ${g.mechanism} does not match ${this.mechanism.name}`);
        }
        this.peerMinor = g.major > 3 ? 1 : g.minor;
        this.state = 1 /* Handshake */;
        this.limits = {
          maxMessageSize: this.opts.maxMessageSize,
          maxCommandSize: Math.max(DEFAULT_MAX_COMMAND_SIZE, this.opts.maxMessageSize)
        };
        this.decoder = new FrameDecoder(this, this.limits);
        this.applyStep(this.mechanism.start());
        if (this.state !== 1 /* Handshake */) return;
        if (used === chunk.length) return;
        chunk = chunk.subarray(used);
      }
      if (this.state === 3 /* Closed */) return;
      const err = this.decoder.feed(chunk);
      if (err) this.close(err);
      else if (this.decoder.paused) this.socket.pause();
    } catch (e) {
      this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)));
    }
  }
  /** DecoderSink: a whole message from the peer. */
  message(frames) {
    if (this.state !== 2 /* Traffic */) {
      throw new ProtocolError("ERR_ZMTP_UNEXPECTED_COMMAND", "message received before the handshake completed");
    }
    if (this.mechanism.codec) {
      let more = true;
      for (const f of frames) more = this.codecCommand(f);
      return more;
    }
    return this.pipe.deliver(frames);
  }
  /** DecoderSink: a command from the peer. */
  command(body) {
    if (this.state === 3 /* Closed */) return;
    if (this.state === 2 /* Traffic */ && this.mechanism.codec) {
      if (!this.codecCommand(body)) this.socket.pause();
      return;
    }
    if (this.state === 1 /* Handshake */) {
      this.applyStep(this.mechanism.onCommand(this.mechanism.parseCommand?.(body) ?? decodeCommand(body)));
      return;
    }
    this.trafficCommand(decodeCommand(body));
  }
  /** A mechanism step: commands to send, a ZAP request, a failure, or the end of the handshake. */
  applyStep(step) {
    this.sendCommands(step.send);
    if (step.fail) {
      this.close(step.fail, true);
      return;
    }
    if (step.zap) {
      const asked = this.opts.zap?.(step.zap, (reply) => {
        if (this.state !== 1 /* Handshake */) return;
        this.guard(() => this.applyStep(this.mechanism.onZapReply(reply)));
      });
      if (!asked) this.applyStep(this.mechanism.onZapReply(void 0));
      return;
    }
    if (step.done) this.handshakeDone(step.done);
  }
  /** Runs `f`, turning a throw into closing this connection (never throw from a callback). */
  guard(f) {
    try {
      f();
    } catch (e) {
      this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)));
    }
  }
  /**
   * A command after an encrypting handshake: a MESSAGE carrying one frame or one command (RFC 26,
   * libzmq 4.3 also boxes PING and PONG). Whole messages are delivered as the decoder would.
   */
  codecCommand(body) {
    const { frame, more, command } = this.mechanism.codec.decode(body);
    if (command) {
      if (this.codecFrames.length > 0) throw new ProtocolError("ERR_ZMTP_FRAME", "command inside a multipart message");
      this.trafficCommand(decodeCommand(frame));
      return true;
    }
    const max = this.opts.maxMessageSize;
    if (max >= 0 && frame.length > max) {
      throw new ProtocolError("ERR_ZMTP_MSGSIZE", `frame of ${frame.length} octets exceeds the limit of ${max}`);
    }
    const frames = this.codecFrames;
    if (frames.length === 0 && this.pipe.inboundPrefix) frames.push(this.pipe.inboundPrefix);
    frames.push(frame);
    if (more) return true;
    this.codecFrames = [];
    return this.pipe.deliver(frames);
  }
  trafficCommand(cmd) {
    switch (cmd.name) {
      case "PING": {
        const { ttl, context } = decodePing(cmd.data);
        this.sendCommands([encodePong(context)]);
        if (ttl > 0) {
          this.peerTtl = ttl * 100;
          this.armTtl();
        }
        return;
      }
      case "PONG":
        return;
      case "ERROR":
        throw new ProtocolError("ERR_ZMTP_PEER_ERROR", `peer sent ERROR: ${decodeErrorReason(cmd.data)}`);
      default:
        return;
    }
  }
  handshakeDone(peer) {
    const type = peer.get("socket-type")?.toString("latin1") ?? "";
    if (!isCompatible(this.opts.socketType, type)) {
      throw new ProtocolError("ERR_ZMTP_SOCKET_TYPE", `peer socket type ${JSON.stringify(type)} is not compatible with ${this.opts.socketType}`);
    }
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = void 0;
    const res = this.host.engineReady(this, peer);
    if (res instanceof ZmtpError) throw res;
    this.pipe = res;
    res.engine = this;
    this.decoder.prefix = this.mechanism.codec ? void 0 : res.inboundPrefix;
    this.state = 2 /* Traffic */;
    if (this.mechanism.codec && this.limits) {
      const max = this.opts.maxMessageSize;
      this.limits.maxCommandSize = this.limits.maxMessageSize = max >= 0 ? max + 64 : -1;
    }
    this.startHeartbeats();
    if (res.out.length > 0) this.kick();
  }
  /** PipeEngine: the inbound queue has room again. */
  resumeRead() {
    if (this.state === 3 /* Closed */ || !this.decoder) return;
    try {
      const err = this.decoder.resume();
      if (err) return this.close(err);
      if (!this.decoder.paused) this.socket.resume();
    } catch (e) {
      this.close(e instanceof ZmtpError ? e : new ProtocolError("ERR_ZMTP_FRAME", String(e)));
    }
  }
  // ---- output --------------------------------------------------------------------------------
  /** PipeEngine: messages wait in the pipe. Writes are gathered until the current tick ends. */
  kick() {
    if (this.flushScheduled || this.waitingDrain || this.state !== 2 /* Traffic */) return;
    this.flushScheduled = true;
    process.nextTick(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }
  /** PipeEngine: the pipe is full; write what it holds now rather than at the end of the tick. */
  flushNow() {
    if (!this.waitingDrain) this.flush();
  }
  flush() {
    const pipe = this.pipe;
    if (this.state !== 2 /* Traffic */ || !pipe || this.flushing) return;
    this.flushing = true;
    const wasFull = !pipe.writable;
    const w = this.writer;
    for (; ; ) {
      if (this.socket.writableLength + w.bytes >= WRITE_BUDGET) {
        this.waitingDrain = true;
        break;
      }
      const msg = pipe.takeOut();
      if (!msg) break;
      w.addMessage(msg);
    }
    if (w.bytes > 0) {
      const segs = w.take();
      if (segs.length === 1) this.write(segs[0]);
      else {
        this.socket.cork();
        for (const s of segs) this.write(s);
        this.socket.uncork();
      }
    }
    this.flushing = false;
    if (wasFull && pipe.writable) pipe.drained();
    if (pipe.out.length > 0) {
      if (!this.waitingDrain) this.kick();
    } else if (this.flushWaiters.length > 0) {
      const waiters = this.flushWaiters;
      this.flushWaiters = [];
      this.socket.write(EMPTY, () => {
        for (const f of waiters) f();
      });
    }
  }
  write(buf) {
    this.bytesOut += buf.length;
    this.socket.write(buf);
  }
  sendCommands(cmds) {
    if (!cmds) return;
    const codec = this.state === 2 /* Traffic */ ? this.mechanism.codec : void 0;
    for (const c of cmds) this.write(codec ? codec.encodeCommand(c) : c);
  }
  /** Resolves once everything queued in the pipe has been handed to the transport and written out. */
  flushed() {
    if (this.state !== 2 /* Traffic */) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve);
      this.kick();
    });
  }
  notifyFlushed() {
    const w = this.flushWaiters;
    if (w.length === 0) return;
    this.flushWaiters = [];
    for (const f of w) f();
  }
  // ---- liveness (RFC 37) ---------------------------------------------------------------------
  startHeartbeats() {
    const ivl = this.opts.heartbeatInterval;
    if (ivl <= 0 || this.peerMinor < 1) return;
    this.heartbeatTimer = setInterval(() => {
      if (this.state !== 2 /* Traffic */) return;
      this.sendCommands([encodePing(Math.floor(this.opts.heartbeatTimeToLive / 100))]);
      if (!this.heartbeatTimeoutTimer) {
        const timeout = this.opts.heartbeatTimeout >= 0 ? this.opts.heartbeatTimeout : ivl;
        this.heartbeatTimeoutTimer = setTimeout(
          () => this.close(new ProtocolError("ERR_ZMTP_HEARTBEAT_TIMEOUT", "no traffic from peer within heartbeatTimeout")),
          timeout
        );
      }
    }, ivl);
  }
  /** Any input proves the peer alive. */
  touchInput() {
    if (this.heartbeatTimeoutTimer) {
      clearTimeout(this.heartbeatTimeoutTimer);
      this.heartbeatTimeoutTimer = void 0;
    }
    if (this.ttlTimer) this.armTtl();
  }
  armTtl() {
    clearTimeout(this.ttlTimer);
    this.ttlTimer = setTimeout(
      () => this.close(new ProtocolError("ERR_ZMTP_HEARTBEAT_TIMEOUT", "peer silent past the TTL it announced")),
      this.peerTtl
    );
  }
  // ---- teardown ------------------------------------------------------------------------------
  /**
   * Graceful close for a lingering socket: nothing more is delivered, what the pipe holds is written
   * out, then the connection is ended. `lingerMs` > 0 bounds the whole; -1 waits for the writes.
   */
  finish(lingerMs) {
    if (this.state !== 2 /* Traffic */) return this.close(void 0);
    this.finishing = true;
    this.socket.resume();
    if (lingerMs > 0) this.lingerTimer = setTimeout(() => this.close(void 0), lingerMs);
    void this.flushed().then(() => {
      if (this.state === 3 /* Closed */) return;
      this.socket.end();
      clearTimeout(this.lingerTimer);
      this.lingerTimer = setTimeout(() => this.close(void 0), END_GRACE);
    });
  }
  /**
   * Closes the connection at once. Idempotent; the host hears of it once. `graceful` lets what was
   * written (an ERROR command) reach the peer first.
   */
  close(error, graceful = false) {
    if (this.state === 3 /* Closed */) return;
    const handshaken = this.state === 2 /* Traffic */;
    this.state = 3 /* Closed */;
    clearTimeout(this.handshakeTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.heartbeatTimeoutTimer);
    clearTimeout(this.ttlTimer);
    clearTimeout(this.lingerTimer);
    if (graceful) {
      const s = this.socket;
      s.end(() => s.destroy());
      setTimeout(() => s.destroy(), 1e3).unref();
    } else this.socket.destroy();
    if (this.pipe && this.pipe.engine === this) this.pipe.engine = void 0;
    this.notifyFlushed();
    this.host.engineClosed(this, error, handshaken);
  }
};

// src/events.ts
var BUFFER_LIMIT = 1e3;
var Observer = class {
  listeners = /* @__PURE__ */ new Map();
  buffered = [];
  waiters = [];
  ended = false;
  /** True once the socket closed and every event has been handed out. */
  get closed() {
    return this.ended && this.buffered.length === 0;
  }
  /** Calls `listener` for each event of `type`. */
  on(type, listener) {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, set = /* @__PURE__ */ new Set());
    set.add(listener);
    return this;
  }
  off(type, listener) {
    this.listeners.get(type)?.delete(listener);
    return this;
  }
  /** Resolves to the next event; rejects with EBADF-like error once the socket has closed and all events are read. */
  receive() {
    const e = this.buffered.shift();
    if (e) return Promise.resolve(e);
    if (this.ended) return Promise.reject(Object.assign(new Error("Socket is closed"), { code: "EBADF" }));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  async *[Symbol.asyncIterator]() {
    while (!this.closed) {
      try {
        yield await this.receive();
      } catch {
        return;
      }
    }
  }
  /** Stops observing (the socket's events are no longer kept). */
  close() {
    this.emit({ type: "end" });
  }
  /** @internal Called by the socket. */
  emit(e) {
    if (this.ended) return;
    const set = this.listeners.get(e.type);
    if (set) for (const l of set) l(e);
    const w = this.waiters.shift();
    if (w) w.resolve(e);
    else {
      this.buffered.push(e);
      if (this.buffered.length > BUFFER_LIMIT) this.buffered.shift();
    }
    if (e.type === "end") {
      this.ended = true;
      for (const w2 of this.waiters.splice(0)) w2.reject(Object.assign(new Error("Socket is closed"), { code: "EBADF" }));
    }
  }
};

// src/mechanisms/mechanism.ts
var ERR_ZMTP_AUTH = "ERR_ZMTP_AUTH";
var AuthError = class extends ProtocolError {
  constructor(status, message) {
    super(ERR_ZMTP_AUTH, message);
    this.status = status;
    this.name = "AuthError";
  }
  status;
};
function peerError(reason) {
  if (/^[345]00$/.test(reason)) return new AuthError(Number(reason), `peer refused authentication: ${reason}`);
  return new ProtocolError("ERR_ZMTP_PEER_ERROR", `peer refused the handshake: ${reason}`);
}
function violation(message, code = "ERR_ZMTP_UNEXPECTED_COMMAND") {
  return new ProtocolError(code, message);
}

// src/mechanisms/curve-keys.ts
import { x25519 } from "@noble/curves/ed25519";
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa";
import { randomBytes } from "crypto";

// src/mechanisms/z85.ts
var ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
var DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
function z85Encode(data) {
  if (data.length % 4 !== 0) throw zerr("EINVAL", "Z85 input length must be a multiple of 4");
  let out = "";
  for (let i = 0; i < data.length; i += 4) {
    let v = (data[i] << 24 | data[i + 1] << 16 | data[i + 2] << 8 | data[i + 3]) >>> 0;
    const chunk = new Array(5);
    for (let j = 4; j >= 0; j--) {
      chunk[j] = ALPHABET[v % 85];
      v = Math.floor(v / 85);
    }
    out += chunk.join("");
  }
  return out;
}
function z85Decode(text) {
  if (typeof text !== "string" || text.length % 5 !== 0) throw zerr("EINVAL", "Z85 input length must be a multiple of 5");
  const out = Buffer.allocUnsafe(text.length / 5 * 4);
  for (let i = 0, o = 0; i < text.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const c = text.charCodeAt(i + j);
      const d = c < 128 ? DECODE[c] : -1;
      if (d < 0) throw zerr("EINVAL", `invalid Z85 character ${JSON.stringify(text[i + j])}`);
      v = v * 85 + d;
    }
    if (v > 4294967295) throw zerr("EINVAL", "Z85 group out of range");
    out.writeUInt32BE(v, o);
  }
  return out;
}

// src/mechanisms/curve-keys.ts
function toKey(key, what = "key") {
  if (typeof key === "string") {
    if (key.length !== 40) throw zerr("EINVAL", `CURVE ${what} must be 40 Z85 characters or 32 octets`);
    return z85Decode(key);
  }
  if (key instanceof Uint8Array) {
    if (key.length === 32) return Buffer.from(key);
    if (key.length === 41 && key[40] === 0) return z85Decode(Buffer.from(key.subarray(0, 40)).toString("latin1"));
    if (key.length === 40) return z85Decode(Buffer.from(key).toString("latin1"));
  }
  throw zerr("EINVAL", `CURVE ${what} must be 40 Z85 characters or 32 octets`);
}
function rawKeyPair() {
  const sec = Buffer.from(x25519.utils.randomPrivateKey());
  return { pub: Buffer.from(x25519.getPublicKey(sec)), sec };
}
var SIGMA = new Uint32Array(new Uint8Array(Buffer.from("expand 32-byte k", "latin1")).buffer);
var ZERO_NONCE = new Uint32Array(4);
function u32(b) {
  return new Uint32Array(new Uint8Array(b).buffer);
}
function boxKey(theirPublic, ourSecret) {
  let shared;
  try {
    shared = x25519.getSharedSecret(ourSecret, theirPublic);
  } catch {
    throw new BoxError();
  }
  const out = new Uint32Array(8);
  hsalsa(SIGMA, u32(shared), ZERO_NONCE, out);
  return new Uint8Array(out.buffer);
}
var BoxError = class extends Error {
  constructor() {
    super("box did not open");
  }
};
function nonce(prefix, tail) {
  const n = new Uint8Array(24);
  for (let i = 0; i < prefix.length; i++) n[i] = prefix.charCodeAt(i);
  n.set(tail, prefix.length);
  return n;
}
function seal(key, nonce24, plain) {
  return xsalsa20poly1305(key, nonce24).encrypt(plain);
}
function open(key, nonce24, boxed) {
  if (boxed.length < 16) throw new BoxError();
  try {
    return xsalsa20poly1305(key, nonce24).decrypt(boxed);
  } catch {
    throw new BoxError();
  }
}
function random(n) {
  return randomBytes(n);
}

// src/mechanisms/zap.ts
function zapRequest(ctx, mechanism, credentials) {
  return [Buffer.from(ctx.domain), Buffer.from(ctx.address), ctx.identity, Buffer.from(mechanism), ...credentials];
}
function readZapReply(frames) {
  const internal = (text) => ({ status: 500, text, userId: "", metadata: /* @__PURE__ */ new Map() });
  if (frames.length !== 4) return internal("malformed ZAP reply");
  const code = frames[0].toString("latin1");
  if (!/^[2345]00$/.test(code)) return internal(`invalid ZAP status code ${JSON.stringify(code)}`);
  let metadata;
  try {
    metadata = decodeMetadata(frames[3]);
  } catch {
    return internal("malformed ZAP metadata");
  }
  return { status: Number(code), text: frames[1].toString(), userId: frames[2].toString(), metadata };
}
function refuse(v) {
  const fail = new AuthError(v.status, `ZAP handler refused the peer: ${v.status} ${v.text}`);
  if (v.status === 300) return { fail };
  return { send: [encodeError(String(v.status))], fail };
}

// src/mechanisms/plain.ts
function shortString(s, what) {
  const b = Buffer.from(s);
  if (b.length > 255) throw new RangeError(`PLAIN ${what} longer than 255 octets`);
  return b;
}
var PlainClient = class {
  constructor(props, username, password) {
    this.props = props;
    this.username = username;
    this.password = password;
  }
  props;
  username;
  password;
  name = "PLAIN";
  asServer = false;
  state = "hello";
  start() {
    const u = shortString(this.username, "username");
    const p = shortString(this.password, "password");
    const data = Buffer.concat([Buffer.from([u.length]), u, Buffer.from([p.length]), p]);
    this.state = "welcome";
    return { send: [encodeCommand("HELLO", data)] };
  }
  /**
   * libzmq 4.3.5 writes its PLAIN ERROR name as the C string "\x05ERROR", whose greedy hex escape
   * makes the octets "^RROR" (0x5e 'R' 'R' 'O' 'R'): a body decodeCommand refuses. It is read here
   * as the ERROR it means, so a refused zmtp client reports handshake:error:auth as libzmq's does.
   */
  parseCommand(body) {
    if (body.length >= 6 && body.toString("latin1", 0, 5) === "^RROR") return { name: "ERROR", data: body.subarray(5) };
    return void 0;
  }
  onCommand(cmd) {
    if (cmd.name === "ERROR") throw peerError(errorReason(cmd.data));
    if (this.state === "welcome" && cmd.name === "WELCOME") {
      if (cmd.data.length !== 0) throw violation("malformed PLAIN WELCOME", "ERR_ZMTP_COMMAND");
      this.state = "ready";
      return { send: [encodeCommand("INITIATE", encodeMetadata(this.props))] };
    }
    if (this.state === "ready" && cmd.name === "READY") {
      this.state = "done";
      return { done: decodeMetadata(cmd.data) };
    }
    throw violation(`unexpected ${cmd.name} command during the PLAIN handshake`);
  }
};
var PlainServer = class {
  constructor(props, zap) {
    this.props = props;
    this.zap = zap;
  }
  props;
  zap;
  name = "PLAIN";
  asServer = true;
  state = "hello";
  start() {
    return {};
  }
  onCommand(cmd) {
    if (this.state === "hello" && cmd.name === "HELLO") {
      const d = cmd.data;
      if (d.length < 1) throw violation("PLAIN HELLO without username", "ERR_ZMTP_COMMAND");
      const ulen = d[0];
      if (1 + ulen + 1 > d.length) throw violation("malformed PLAIN HELLO username", "ERR_ZMTP_COMMAND");
      const username = d.subarray(1, 1 + ulen);
      const plen = d[1 + ulen];
      if (2 + ulen + plen !== d.length) throw violation("malformed PLAIN HELLO password", "ERR_ZMTP_COMMAND");
      const password = d.subarray(2 + ulen);
      this.state = "zap";
      return { zap: zapRequest(this.zap, "PLAIN", [Buffer.from(username), Buffer.from(password)]) };
    }
    if (this.state === "initiate" && cmd.name === "INITIATE") {
      const meta = decodeMetadata(cmd.data);
      this.state = "done";
      return { send: [encodeReady(this.props)], done: meta };
    }
    throw violation(`unexpected ${cmd.name} command during the PLAIN handshake`);
  }
  onZapReply(reply) {
    if (this.state !== "zap") throw violation("ZAP reply out of turn");
    if (!reply) {
      return { fail: new ZmtpError("EFAULT", "PLAIN server without a ZAP handler at inproc://zeromq.zap.01") };
    }
    const v = readZapReply(reply);
    if (v.status !== 200) return refuse(v);
    this.state = "initiate";
    return { send: [encodeCommand("WELCOME")] };
  }
};
function errorReason(data) {
  if (data.length < 1 || 1 + data[0] > data.length) throw violation("malformed ERROR command", "ERR_ZMTP_COMMAND");
  return data.toString("latin1", 1, 1 + data[0]);
}

// src/mechanisms/curve.ts
import { x25519 as x255192 } from "@noble/curves/ed25519";
var ERR_CRYPTO = "ERR_ZMTP_CRYPTOGRAPHIC";
var ERR_SEQUENCE = "ERR_ZMTP_INVALID_SEQUENCE";
var HELLO_SIZE = 200;
var WELCOME_SIZE = 168;
var INITIATE_MIN = 257;
var READY_MIN = 30;
var MESSAGE_MIN = 33;
var MESSAGE_NAME = Buffer.from("\x07MESSAGE", "latin1");
function cryptoError(what) {
  return new ProtocolError(ERR_CRYPTO, `CURVE ${what} did not open`);
}
function opened(key, n, boxed, what) {
  try {
    const p = open(key, n, boxed);
    return Buffer.from(p.buffer, p.byteOffset, p.length);
  } catch (e) {
    if (e instanceof BoxError) throw cryptoError(what);
    throw e;
  }
}
function shortNonce(v) {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(v);
  return b;
}
function equal(a, b) {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}
var CurveBase = class {
  name = "CURVE";
  /** Our next short nonce. */
  ourNonce = 1n;
  /** The peer's last short nonce. */
  peerNonce = 0n;
  /** Box key between the short-term keys (crypto_box_beforenm of C'/s' or S'/c'). */
  trafficKey;
  /** The codec: this object itself; the engine uses it only once the handshake is done. */
  codec = this;
  nextNonce() {
    return shortNonce(this.ourNonce++);
  }
  /** Checks that a received short nonce is fresh and records it. */
  takePeerNonce(b) {
    const n = b.readBigUInt64BE(0);
    if (n <= this.peerNonce) throw new ProtocolError(ERR_SEQUENCE, `CURVE short nonce ${n} not above ${this.peerNonce}: replayed or reordered`);
    this.peerNonce = n;
  }
  /** One frame (or command body) boxed into a whole MESSAGE command frame. */
  boxFrame(body, flags) {
    const n = this.nextNonce();
    const plain = Buffer.allocUnsafe(1 + body.length);
    plain[0] = flags;
    body.copy(plain, 1);
    const box = seal(this.trafficKey, nonce(this.sendPrefix, n), plain);
    const size = 16 + box.length;
    const out = Buffer.allocUnsafe(headerSize(size) + size);
    let o = writeHeader(out, 0, size, 0);
    o += MESSAGE_NAME.copy(out, o);
    o += n.copy(out, o);
    out.set(box, o);
    return out;
  }
  encodeMessage(frames) {
    const last = frames.length - 1;
    if (last === 0) return this.boxFrame(frames[0], 0);
    const parts = new Array(frames.length);
    for (let i = 0; i <= last; i++) parts[i] = this.boxFrame(frames[i], i < last ? 1 : 0);
    return Buffer.concat(parts);
  }
  encodeCommand(frame) {
    return this.boxFrame(frame.subarray(frame[0] & FLAG_LONG ? 9 : 2), 2);
  }
  decode(body) {
    if (body.length < MESSAGE_MIN || !body.subarray(0, 8).equals(MESSAGE_NAME)) {
      throw violation("CURVE traffic must be MESSAGE commands", "ERR_ZMTP_UNEXPECTED_COMMAND");
    }
    const n = body.subarray(8, 16);
    const plain = opened(this.trafficKey, nonce(this.recvPrefix, n), body.subarray(16), "MESSAGE");
    this.takePeerNonce(n);
    if (plain.length < 1) throw violation("empty CURVE MESSAGE", "ERR_ZMTP_COMMAND");
    const flags = plain[0];
    return { frame: plain.subarray(1), more: (flags & 1) !== 0, command: (flags & 2) !== 0 };
  }
};
var CurveClient = class extends CurveBase {
  constructor(props, publicKey, secretKey, serverKey) {
    super();
    this.props = props;
    this.publicKey = publicKey;
    this.secretKey = secretKey;
    this.serverKey = serverKey;
  }
  props;
  publicKey;
  secretKey;
  serverKey;
  asServer = false;
  sendPrefix = "CurveZMQMESSAGEC";
  recvPrefix = "CurveZMQMESSAGES";
  state = "hello";
  short = rawKeyPair();
  start() {
    const n = this.nextNonce();
    const box = seal(boxKey(this.serverKey, this.short.sec), nonce("CurveZMQHELLO---", n), new Uint8Array(64));
    const data = Buffer.concat([Buffer.from([1, 0]), Buffer.alloc(72), this.short.pub, n, box]);
    this.state = "welcome";
    return { send: [encodeCommand("HELLO", data)] };
  }
  onCommand(cmd) {
    if (cmd.name === "ERROR") throw peerError(errorReason(cmd.data));
    if (this.state === "welcome" && cmd.name === "WELCOME") return this.onWelcome(cmd.data);
    if (this.state === "ready" && cmd.name === "READY") return this.onReady(cmd.data);
    throw violation(`unexpected ${cmd.name} command during the CURVE handshake`);
  }
  onWelcome(d) {
    if (1 + 7 + d.length !== WELCOME_SIZE) throw violation("malformed CURVE WELCOME", "ERR_ZMTP_COMMAND");
    const plain = opened(boxKey(this.serverKey, this.short.sec), nonce("WELCOME-", d.subarray(0, 16)), d.subarray(16), "WELCOME");
    const serverShort = plain.subarray(0, 32);
    const cookie = plain.subarray(32, 128);
    this.trafficKey = boxKey(serverShort, this.short.sec);
    const vn = random(16);
    const vouch = seal(boxKey(serverShort, this.secretKey), nonce("VOUCH---", vn), Buffer.concat([this.short.pub, this.serverKey]));
    const n = this.nextNonce();
    const box = seal(this.trafficKey, nonce("CurveZMQINITIATE", n), Buffer.concat([this.publicKey, vn, vouch, encodeMetadata(this.props)]));
    this.state = "ready";
    return { send: [encodeCommand("INITIATE", Buffer.concat([cookie, n, box]))] };
  }
  onReady(d) {
    if (1 + 5 + d.length < READY_MIN) throw violation("malformed CURVE READY", "ERR_ZMTP_COMMAND");
    const n = d.subarray(0, 8);
    const plain = opened(this.trafficKey, nonce("CurveZMQREADY---", n), d.subarray(8), "READY");
    this.takePeerNonce(n);
    this.state = "done";
    return { done: decodeMetadata(plain) };
  }
};
var CurveServer = class extends CurveBase {
  constructor(props, secretKey, zap) {
    super();
    this.props = props;
    this.secretKey = secretKey;
    this.zap = zap;
    this.publicKey = Buffer.from(x255192.getPublicKey(secretKey));
  }
  props;
  secretKey;
  zap;
  asServer = true;
  sendPrefix = "CurveZMQMESSAGES";
  recvPrefix = "CurveZMQMESSAGEC";
  state = "hello";
  /** S, derived from s. */
  publicKey;
  short;
  /** C' from HELLO. */
  clientShort;
  /** K: keys the cookie; made per connection and forgotten with it. */
  cookieKey;
  clientKey;
  peerMeta;
  start() {
    return {};
  }
  onCommand(cmd) {
    if (this.state === "hello" && cmd.name === "HELLO") return this.onHello(cmd.data);
    if (this.state === "initiate" && cmd.name === "INITIATE") return this.onInitiate(cmd.data);
    throw violation(`unexpected ${cmd.name} command during the CURVE handshake`);
  }
  onHello(d) {
    if (1 + 5 + d.length !== HELLO_SIZE) throw violation("malformed CURVE HELLO", "ERR_ZMTP_COMMAND");
    if (d[0] !== 1 || d[1] !== 0) throw violation(`unsupported CURVE version ${d[0]}.${d[1]}`, "ERR_ZMTP_COMMAND");
    const clientShort = Buffer.from(d.subarray(74, 106));
    const n = d.subarray(106, 114);
    const plain = opened(boxKey(clientShort, this.secretKey), nonce("CurveZMQHELLO---", n), d.subarray(114), "HELLO");
    if (!equal(plain, new Uint8Array(64))) throw cryptoError("HELLO signature");
    this.takePeerNonce(n);
    this.clientShort = clientShort;
    this.short = rawKeyPair();
    this.cookieKey = random(32);
    const cn = random(16);
    const cookie = Buffer.concat([cn, seal(this.cookieKey, nonce("COOKIE--", cn), Buffer.concat([clientShort, this.short.sec]))]);
    const wn = random(16);
    const box = seal(boxKey(clientShort, this.secretKey), nonce("WELCOME-", wn), Buffer.concat([this.short.pub, cookie]));
    this.state = "initiate";
    return { send: [encodeCommand("WELCOME", Buffer.concat([wn, box]))] };
  }
  onInitiate(d) {
    if (1 + 8 + d.length < INITIATE_MIN) throw violation("malformed CURVE INITIATE", "ERR_ZMTP_COMMAND");
    const cookie = opened(this.cookieKey, nonce("COOKIE--", d.subarray(0, 16)), d.subarray(16, 96), "cookie");
    if (!equal(cookie.subarray(0, 32), this.clientShort) || !equal(cookie.subarray(32, 64), this.short.sec)) throw cryptoError("cookie");
    const n = d.subarray(96, 104);
    this.trafficKey = boxKey(this.clientShort, this.short.sec);
    const plain = opened(this.trafficKey, nonce("CurveZMQINITIATE", n), d.subarray(104), "INITIATE");
    this.takePeerNonce(n);
    const clientKey = plain.subarray(0, 32);
    const vouch = opened(boxKey(clientKey, this.short.sec), nonce("VOUCH---", plain.subarray(32, 48)), plain.subarray(48, 128), "vouch");
    if (!equal(vouch.subarray(0, 32), this.clientShort) || !equal(vouch.subarray(32, 64), this.publicKey)) throw cryptoError("vouch");
    this.peerMeta = decodeMetadata(plain.subarray(128));
    this.clientKey = Buffer.from(clientKey);
    this.state = "zap";
    return { zap: zapRequest(this.zap, "CURVE", [this.clientKey]) };
  }
  onZapReply(reply) {
    if (this.state !== "zap") throw violation("ZAP reply out of turn");
    if (reply) {
      const v = readZapReply(reply);
      if (v.status !== 200) return refuse(v);
    }
    const n = this.nextNonce();
    const box = seal(this.trafficKey, nonce("CurveZMQREADY---", n), encodeMetadata(this.props));
    this.state = "done";
    this.cookieKey = void 0;
    return { send: [encodeCommand("READY", Buffer.concat([n, box]))], done: this.peerMeta };
  }
};

// src/mechanisms/null.ts
var NullMechanism = class {
  constructor(props) {
    this.props = props;
  }
  props;
  name = "NULL";
  /** RFC 23: with NULL the as-server field MUST be zero. */
  asServer = false;
  sentReady = false;
  start() {
    this.sentReady = true;
    return { send: [encodeReady(this.props)] };
  }
  onCommand(cmd) {
    if (cmd.name === "READY") {
      const meta = decodeMetadata(cmd.data);
      return this.sentReady ? { done: meta } : { send: [encodeReady(this.props)], done: meta };
    }
    if (cmd.name === "ERROR") {
      throw new ProtocolError("ERR_ZMTP_PEER_ERROR", `peer refused the handshake: ${decodeErrorReason(cmd.data)}`);
    }
    throw new ProtocolError("ERR_ZMTP_UNEXPECTED_COMMAND", `unexpected ${cmd.name} command during the NULL handshake`);
  }
};

// src/mechanisms/security.ts
var SecurityOptions = class {
  mechanism = null;
  asServer = false;
  plainUsername = null;
  plainPassword = null;
  curvePublicKey = null;
  curveSecretKey = null;
  curveServerKey = null;
  zapDomain = "";
  get plainServer() {
    return this.mechanism === "plain" && this.asServer;
  }
  get curveServer() {
    return this.mechanism === "curve" && this.asServer;
  }
  setPlainServer(v) {
    this.asServer = v;
    this.mechanism = v ? "plain" : null;
  }
  setCurveServer(v) {
    this.asServer = v;
    this.mechanism = v ? "curve" : null;
  }
  setPlainCredential(which, v) {
    this[which] = v;
    if (v === null) {
      if (which === "plainUsername") this.mechanism = null;
      return;
    }
    this.asServer = false;
    this.mechanism = "plain";
  }
  setCurveKey(which, v) {
    if (v === null) {
      this[which] = null;
      return;
    }
    this[which] = z85Encode(toKey(v, which));
    if (which === "curveServerKey") this.asServer = false;
    this.mechanism = "curve";
  }
  /** The mechanism for a new connection; throws EINVAL when CURVE lacks a key. */
  create(props, zap) {
    switch (this.mechanism) {
      case "plain":
        return this.asServer ? new PlainServer(props, zap) : new PlainClient(props, this.plainUsername ?? "", this.plainPassword ?? "");
      case "curve":
        if (this.asServer) {
          if (!this.curveSecretKey) throw zerr("EINVAL", "a CURVE server needs curveSecretKey");
          return new CurveServer(props, toKey(this.curveSecretKey), zap);
        }
        if (!this.curveServerKey || !this.curvePublicKey || !this.curveSecretKey) {
          throw zerr("EINVAL", "a CURVE client needs curveServerKey, curvePublicKey and curveSecretKey");
        }
        return new CurveClient(props, toKey(this.curvePublicKey), toKey(this.curveSecretKey), toKey(this.curveServerKey));
      default:
        return new NullMechanism(props);
    }
  }
};

// src/pipe/queue.ts
var Queue = class {
  buf = new Array(16);
  head = 0;
  size = 0;
  get length() {
    return this.size;
  }
  push(v) {
    if (this.size === this.buf.length) this.grow();
    this.buf[this.head + this.size & this.buf.length - 1] = v;
    this.size++;
  }
  peek() {
    return this.size === 0 ? void 0 : this.buf[this.head];
  }
  shift() {
    if (this.size === 0) return void 0;
    const v = this.buf[this.head];
    this.buf[this.head] = void 0;
    this.head = this.head + 1 & this.buf.length - 1;
    this.size--;
    return v;
  }
  /** Removes and returns every item, oldest first. */
  drain() {
    const out = new Array(this.size);
    for (let i = 0; i < out.length; i++) out[i] = this.shift();
    return out;
  }
  clear() {
    this.buf = new Array(16);
    this.head = 0;
    this.size = 0;
  }
  grow() {
    const old = this.buf;
    const next = new Array(old.length * 2);
    for (let i = 0; i < this.size; i++) next[i] = old[this.head + i & old.length - 1];
    this.buf = next;
    this.head = 0;
  }
};

// src/pipe/pipe.ts
var nextPipeId = 1;
var Pipe = class {
  constructor(owner, endpoint, outbound, sendHwm, recvHwm) {
    this.owner = owner;
    this.endpoint = endpoint;
    this.outbound = outbound;
    this.sendHwm = sendHwm;
    this.recvHwm = recvHwm;
  }
  owner;
  endpoint;
  outbound;
  sendHwm;
  recvHwm;
  /** Unique per process, for debugging and statistics. */
  id = nextPipeId++;
  out = new Queue();
  in = new Queue();
  engine;
  /** Routing id (ROUTER) or the peer's announced identity. */
  routingId;
  /** Key of `routingId` in the socket's routing table. */
  routingKey;
  /** The peer's READY metadata from the last handshake. */
  peer;
  /** Frame the engine puts in front of each inbound message (a ROUTER's routing id for the peer). */
  inboundPrefix;
  /** ZMQ_CONNECT_ROUTING_ID given for this pipe's connect (ROUTER), or null. */
  presetRoutingId = null;
  /** True once an engine has completed a handshake on this pipe. */
  handshaken = false;
  /** Set when the socket no longer uses this pipe. */
  closed = false;
  /** Messages received and sent through this pipe. */
  messagesIn = 0;
  messagesOut = 0;
  readBlocked = false;
  /** True if the outbound queue is below its high-water mark. */
  get writable() {
    return this.sendHwm <= 0 || this.out.length < this.sendHwm;
  }
  /** Queues a message for the peer. The caller checked {@link writable}. */
  write(msg) {
    this.out.push(msg);
    this.messagesOut++;
    if (this.out.length === 1) this.engine?.kick();
  }
  /**
   * True if the outbound queue has room, after first handing what it holds to the transport when it
   * is full. libzmq's I/O thread drains pipes while the application sends; in one thread a tight
   * send loop would otherwise find a full pipe although the connection is idle.
   */
  makeRoom() {
    if (this.writable) return true;
    this.engine?.flushNow();
    return this.writable;
  }
  /** Takes the next outbound message for the engine. */
  takeOut() {
    return this.out.shift();
  }
  /** The engine took messages out of a full queue: senders waiting for room may go on. */
  drained() {
    if (!this.closed) this.owner.pipeWritable(this);
  }
  /**
   * Delivers an inbound message from the engine. Returns false when the inbound queue is now at its
   * high-water mark: the engine stops reading until {@link read} makes room.
   */
  deliver(msg) {
    if (this.closed) return true;
    this.in.push(msg);
    this.messagesIn++;
    if (this.in.length === 1) this.owner.pipeReadable(this);
    if (this.recvHwm > 0 && this.in.length >= this.recvHwm) {
      this.readBlocked = true;
      return false;
    }
    return true;
  }
  /** Takes the next inbound message. */
  read() {
    const m = this.in.shift();
    if (m && this.readBlocked && this.in.length <= this.recvHwm + 1 >> 1) {
      this.readBlocked = false;
      this.engine?.resumeRead();
    }
    return m;
  }
  /** Changes the high-water marks (options set after the pipe was made apply to new pipes in libzmq; here too). */
  setHwm(send, recv) {
    this.sendHwm = send;
    this.recvHwm = recv;
  }
  /** True while the engine is held back by a full inbound queue. */
  get readPaused() {
    return this.readBlocked;
  }
};

// src/transport/inproc.ts
import { Duplex } from "stream";

// src/transport/connecter.ts
import { connect as netConnect } from "net";
var Connecter = class {
  constructor(ep, address, timing, host) {
    this.ep = ep;
    this.address = address;
    this.timing = timing;
    this.host = host;
  }
  ep;
  address;
  timing;
  host;
  timer;
  pending;
  current = -1;
  stopped = false;
  /** True until {@link stop}. */
  get active() {
    return !this.stopped;
  }
  start() {
    this.attempt();
  }
  attempt() {
    this.timer = void 0;
    if (this.stopped) return;
    const sock = this.ep.transport === "tcp" ? netConnect({ host: this.ep.host, port: this.ep.port, noDelay: true }) : netConnect({ path: this.ep.path });
    this.pending = sock;
    if (this.ep.transport === "tcp") this.host.connectEvent("connect:delay", this.address);
    const t = this.timing();
    let timeout;
    if (t.connectTimeout > 0) {
      timeout = setTimeout(() => sock.destroy(new Error("connect timed out")), t.connectTimeout);
    }
    const onError = (e) => {
      clearTimeout(timeout);
      if (this.pending !== sock) return;
      this.pending = void 0;
      sock.destroy();
      this.host.connectEvent("close", this.address, void 0, e);
      this.retry();
    };
    sock.once("error", onError);
    sock.once("connect", () => {
      clearTimeout(timeout);
      sock.off("error", onError);
      this.pending = void 0;
      if (this.stopped) return void sock.destroy();
      this.current = -1;
      this.host.connectEvent("connect", this.address);
      this.host.connected(sock, this);
    });
  }
  /** The connection failed or ended: try again per the reconnect policy. */
  retry() {
    if (this.stopped || this.timer || this.pending) return;
    const t = this.timing();
    if (t.reconnectInterval < 0) return;
    let interval;
    if (t.reconnectMaxInterval > 0) {
      this.current = Math.min(this.current < 0 ? t.reconnectInterval : this.current * 2, t.reconnectMaxInterval);
      interval = this.current;
    } else {
      interval = t.reconnectInterval + (t.reconnectInterval > 0 ? Math.floor(Math.random() * t.reconnectInterval) : 0);
    }
    this.host.connectEvent("connect:retry", this.address, interval);
    this.timer = setTimeout(() => this.attempt(), interval);
  }
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = void 0;
    this.pending?.destroy();
    this.pending = void 0;
  }
};

// src/transport/inproc.ts
var InprocStream = class extends Duplex {
  /** The other end. */
  peer;
  /** A write held back until the peer's reader wants more (back-pressure). */
  held;
  /** True once end-of-stream was pushed to this end's readable side. */
  eof = false;
  /** As net.Socket reports it for a peer without an IP address. */
  remoteAddress = void 0;
  _write(chunk, _enc, cb) {
    const peer = this.peer;
    process.nextTick(() => {
      if (peer.destroyed || peer.eof) return cb();
      if (peer.push(chunk)) cb();
      else peer.held = cb;
    });
  }
  _read() {
    const cb = this.held;
    this.held = void 0;
    cb?.();
  }
  _final(cb) {
    this.peer.pushEnd();
    cb();
  }
  _destroy(err, cb) {
    this.peer.pushEnd();
    const held = this.peer.held;
    this.peer.held = void 0;
    held?.();
    cb(err);
  }
  pushEnd() {
    process.nextTick(() => {
      if (this.eof || this.destroyed) return;
      this.eof = true;
      this.push(null);
    });
  }
  // net.Socket methods the engine and transports call; meaningless in memory.
  setNoDelay() {
    return this;
  }
  setKeepAlive() {
    return this;
  }
};
function inprocPair() {
  const a = new InprocStream();
  const b = new InprocStream();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
var bound = /* @__PURE__ */ new Map();
var waiting = /* @__PURE__ */ new Map();
function inprocName(address) {
  const name = address.slice("inproc://".length);
  if (!address.startsWith("inproc://") || name === "") throw zerr("EINVAL", `malformed inproc endpoint ${JSON.stringify(address)}`, address);
  return name;
}
var InprocListener = class _InprocListener {
  constructor(address, name, onConnection) {
    this.address = address;
    this.name = name;
    this.onConnection = onConnection;
  }
  address;
  name;
  onConnection;
  connections = /* @__PURE__ */ new Set();
  closed = false;
  /** Binds a name; EADDRINUSE if another socket holds it (libzmq). */
  static open(address, onConnection) {
    const name = inprocName(address);
    if (bound.has(name)) throw zerr("EADDRINUSE", `inproc name ${name} is already bound`, address);
    const l = new _InprocListener(address, name, onConnection);
    bound.set(name, l);
    const w = waiting.get(name);
    if (w) {
      waiting.delete(name);
      for (const f of w) f();
    }
    return l;
  }
  /** @internal Accepts a new connection and returns the connecting side's end. */
  accept() {
    if (this.closed) return void 0;
    const [ours, theirs] = inprocPair();
    this.connections.add(ours);
    ours.once("close", () => this.connections.delete(ours));
    this.onConnection(ours, this);
    return theirs;
  }
  /** Releases the name; drops the accepted connections if asked. */
  close(dropConnections) {
    if (this.closed) return;
    this.closed = true;
    if (bound.get(this.name) === this) bound.delete(this.name);
    if (dropConnections) for (const c of this.connections) c.destroy();
  }
};
function connectInproc(address) {
  return bound.get(inprocName(address))?.accept();
}
function inprocBinding(address) {
  return bound.get(inprocName(address));
}
function whenBound(name, f) {
  let set = waiting.get(name);
  if (!set) waiting.set(name, set = /* @__PURE__ */ new Set());
  set.add(f);
  return () => {
    set.delete(f);
    if (set.size === 0 && waiting.get(name) === set) waiting.delete(name);
  };
}
var InprocConnecter = class extends Connecter {
  constructor(address, timingOf, hostOf) {
    super({ transport: "ipc", path: "" }, address, timingOf, hostOf);
    this.timingOf = timingOf;
    this.hostOf = hostOf;
    inprocName(address);
  }
  timingOf;
  hostOf;
  cancelWait;
  retryTimer;
  halted = false;
  start() {
    if (this.halted) return;
    const sock = connectInproc(this.address);
    if (sock) return this.hostOf.connected(sock, this);
    this.cancelWait?.();
    this.cancelWait = whenBound(inprocName(this.address), () => {
      this.cancelWait = void 0;
      this.start();
    });
  }
  retry() {
    if (this.halted || this.retryTimer || this.cancelWait) return;
    const ivl = this.timingOf().reconnectInterval;
    if (ivl < 0) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = void 0;
      this.start();
    }, ivl);
  }
  stop() {
    this.halted = true;
    this.cancelWait?.();
    this.cancelWait = void 0;
    clearTimeout(this.retryTimer);
    super.stop();
  }
};

// src/mechanisms/zap-client.ts
var ZAP_ENDPOINT = "inproc://zeromq.zap.01";
var ZapClient = class {
  engine;
  handler;
  pipe;
  pending = /* @__PURE__ */ new Map();
  nextId = 1;
  /** Sends a request; false when no handler is bound. */
  request(frames, reply) {
    const handler = inprocBinding(ZAP_ENDPOINT);
    if (!handler) return false;
    if (this.engine && this.handler !== handler) {
      this.engine.close(void 0);
    }
    if (!this.engine) {
      const sock = connectInproc(ZAP_ENDPOINT);
      if (!sock) return false;
      this.handler = handler;
      this.pipe = new Pipe(this, ZAP_ENDPOINT, true, 0, 0);
      this.engine = new Engine(
        sock,
        new NullMechanism([
          ["Socket-Type", "DEALER"],
          ["Identity", Buffer.alloc(0)]
        ]),
        { socketType: "DEALER", maxMessageSize: -1, handshakeInterval: 0, heartbeatInterval: 0, heartbeatTimeout: -1, heartbeatTimeToLive: 0 },
        this,
        ZAP_ENDPOINT
      );
    }
    const id = String(this.nextId++);
    this.pending.set(id, reply);
    this.pipe.write([Buffer.alloc(0), Buffer.from("1.0"), Buffer.from(id), ...frames]);
    return true;
  }
  /** EngineHost: the handler accepted our connection. */
  engineReady(_engine, _peer) {
    return this.pipe;
  }
  /** EngineHost: the handler went away; waiting handshakes get a 500 (internal error) and fail. */
  engineClosed(engine) {
    if (engine !== this.engine) return;
    this.engine = void 0;
    this.pipe = void 0;
    const waiting2 = [...this.pending.values()];
    this.pending.clear();
    const internal = [Buffer.from("500"), Buffer.from("ZAP handler went away"), Buffer.alloc(0), Buffer.alloc(0)];
    for (const r of waiting2) r(internal);
  }
  /** PipeOwner: replies arrived. */
  pipeReadable(p) {
    let m;
    while (m = p.read()) {
      if (m.length < 3 || m[0].length !== 0 || m[1].toString("latin1") !== "1.0") continue;
      const id = m[2].toString("latin1");
      const r = this.pending.get(id);
      if (!r) continue;
      this.pending.delete(id);
      r(m.slice(3));
    }
  }
  pipeWritable() {
  }
};
var client = new ZapClient();
function zapRequest2(frames, reply) {
  return client.request(frames, reply);
}

// src/options.ts
var optionTable = {
  routingId: { default: null, kind: "id" },
  sendHighWaterMark: { default: 1e3, kind: "number", min: 0 },
  receiveHighWaterMark: { default: 1e3, kind: "number", min: 0 },
  sendTimeout: { default: -1, kind: "number", min: -1 },
  receiveTimeout: { default: -1, kind: "number", min: -1 },
  linger: { default: -1, kind: "number", min: -1 },
  immediate: { default: false, kind: "boolean" },
  maxMessageSize: { default: -1, kind: "number", min: -1 },
  reconnectInterval: { default: 100, kind: "number", min: -1 },
  reconnectMaxInterval: { default: 0, kind: "number", min: 0 },
  connectTimeout: { default: 0, kind: "number", min: 0 },
  handshakeInterval: { default: 3e4, kind: "number", min: 0 },
  heartbeatInterval: { default: 0, kind: "number", min: 0 },
  heartbeatTimeout: { default: -1, kind: "number", min: -1 },
  heartbeatTimeToLive: { default: 0, kind: "number", min: 0 },
  probeRouter: { default: false, kind: "boolean" },
  connectRoutingId: { default: null, kind: "id" },
  plainServer: { default: false, kind: "boolean" },
  plainUsername: { default: null, kind: "string" },
  plainPassword: { default: null, kind: "string" },
  curveServer: { default: false, kind: "boolean" },
  curvePublicKey: { default: null, kind: "key" },
  curveSecretKey: { default: null, kind: "key" },
  curveServerKey: { default: null, kind: "key" },
  zapDomain: { default: "", kind: "string" },
  correlate: { default: false, kind: "boolean" },
  relaxed: { default: false, kind: "boolean" },
  mandatory: { default: false, kind: "boolean" },
  handover: { default: false, kind: "boolean" }
};
function checkOption(name, value) {
  const spec = optionTable[name];
  if (!spec) throw zerr("EINVAL", `unknown option ${JSON.stringify(name)}`);
  switch (spec.kind) {
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) throw zerr("EINVAL", `option ${name} must be a number`);
      value = Math.trunc(value);
      if (spec.min !== void 0 && value < spec.min) throw zerr("EINVAL", `option ${name} must be at least ${spec.min}`);
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw zerr("EINVAL", `option ${name} must be a boolean`);
      return value;
    case "id": {
      if (value === null || value === void 0) return null;
      const b = typeof value === "string" ? Buffer.from(value) : Buffer.isBuffer(value) ? value : void 0;
      if (!b || b.length < 1 || b.length > 255) throw zerr("EINVAL", `option ${name} must be 1 to 255 octets`);
      return typeof value === "string" ? value : b.toString("latin1");
    }
    case "string":
      if (value === null || value === void 0) return null;
      if (typeof value !== "string" || Buffer.byteLength(value) > 255) throw zerr("EINVAL", `option ${name} must be a string of at most 255 octets`);
      return value;
    case "key":
      if (value === null || value === void 0) return null;
      if (typeof value !== "string" && !(value instanceof Uint8Array)) throw zerr("EINVAL", `option ${name} must be a Z85 string or 32 octets`);
      return value;
  }
}
var commonOptions = [
  "routingId",
  "sendHighWaterMark",
  "receiveHighWaterMark",
  "sendTimeout",
  "receiveTimeout",
  "linger",
  "immediate",
  "maxMessageSize",
  "reconnectInterval",
  "reconnectMaxInterval",
  "connectTimeout",
  "handshakeInterval",
  "heartbeatInterval",
  "heartbeatTimeout",
  "heartbeatTimeToLive",
  "probeRouter",
  "connectRoutingId"
];
function optionDefaults() {
  const o = {};
  for (const [k, v] of Object.entries(optionTable)) o[k] = v.default;
  return o;
}
function defineOptions(proto, names) {
  for (const name of names) {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: true,
      get() {
        return this.opts[name];
      },
      set(v) {
        if (this.closed) throw zerr("ENOTSOCK");
        this.opts[name] = checkOption(name, v);
      }
    });
  }
}

// src/transport/endpoint.ts
import { randomBytes as randomBytes2 } from "crypto";
import { tmpdir } from "os";
import { join } from "path";
var MAX_IPC_PATH = 107;
function parseEndpoint(address, forBind) {
  if (typeof address !== "string") throw zerr("EINVAL", "endpoint must be a string", String(address));
  const sep = address.indexOf("://");
  if (sep <= 0) throw zerr("EINVAL", `malformed endpoint ${JSON.stringify(address)}`, address);
  const transport = address.slice(0, sep);
  const rest = address.slice(sep + 3);
  if (transport === "tcp") return parseTcp(rest, address, forBind);
  if (transport === "ipc") return parseIpc(rest, address, forBind);
  throw zerr("EPROTONOSUPPORT", `transport ${JSON.stringify(transport)} is not supported`, address);
}
function parseTcp(rest, address, forBind) {
  let host;
  let portStr;
  if (rest.startsWith("[")) {
    const close = rest.indexOf("]");
    if (close < 0 || rest[close + 1] !== ":") throw zerr("EINVAL", `malformed IPv6 endpoint ${address}`, address);
    host = rest.slice(1, close);
    portStr = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(":");
    if (colon < 0) throw zerr("EINVAL", `endpoint ${address} has no port`, address);
    host = rest.slice(0, colon);
    portStr = rest.slice(colon + 1);
  }
  if (host === "" || host.includes(";")) throw zerr("EINVAL", `endpoint ${address} has no usable host`, address);
  let port;
  if (portStr === "*" || forBind && portStr === "0") {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard port: ${address}`, address);
    port = 0;
  } else {
    if (!/^\d{1,5}$/.test(portStr)) throw zerr("EINVAL", `invalid port in ${address}`, address);
    port = Number(portStr);
    if (port > 65535 || !forBind && port === 0) throw zerr("EINVAL", `invalid port in ${address}`, address);
  }
  if (host === "*") {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard host: ${address}`, address);
    host = "";
  }
  return { transport: "tcp", host, port };
}
function parseIpc(rest, address, forBind) {
  if (rest === "") throw zerr("EINVAL", `empty ipc path in ${address}`, address);
  let path;
  if (rest === "*") {
    if (!forBind) throw zerr("EINVAL", `cannot connect to a wildcard ipc path: ${address}`, address);
    path = join(tmpdir(), `zmtp-${process.pid}-${randomBytes2(6).toString("hex")}.sock`);
  } else if (rest.startsWith("@")) {
    path = "\0" + rest.slice(1);
  } else {
    path = rest;
  }
  if (Buffer.byteLength(path) > MAX_IPC_PATH) throw zerr("ENAMETOOLONG", `ipc path too long (${Buffer.byteLength(path)} > ${MAX_IPC_PATH} octets)`, address);
  return { transport: "ipc", path };
}
function formatEndpoint(ep, port, host) {
  if (ep.transport === "ipc") return ep.path.startsWith("\0") ? `ipc://@${ep.path.slice(1)}` : `ipc://${ep.path}`;
  const h = host ?? (ep.host === "" ? "0.0.0.0" : ep.host);
  const p = port ?? ep.port;
  return h.includes(":") ? `tcp://[${h}]:${p}` : `tcp://${h}:${p}`;
}
function systemErrorCode(e) {
  switch (e.code) {
    case "EADDRINUSE":
      return "EADDRINUSE";
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "EADDRNOTAVAIL";
    case "ENOENT":
    case "EACCES":
    case "ENOTDIR":
      return "ENOENT";
    case "ECONNREFUSED":
      return "ECONNREFUSED";
    default:
      return "EINVAL";
  }
}

// src/transport/listener.ts
import { lstatSync, unlinkSync } from "fs";
import { createServer } from "net";
var Listener = class _Listener {
  constructor(server, address, ipcPath) {
    this.server = server;
    this.address = address;
    this.ipcPath = ipcPath;
  }
  server;
  address;
  ipcPath;
  /** Connections accepted through this listener and still open. */
  connections = /* @__PURE__ */ new Set();
  /** Starts listening. Rejects with a typed error (EADDRINUSE, EADDRNOTAVAIL, ENOENT ...). */
  static open(ep, given, onConnection) {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true });
      let listener;
      server.on("connection", (sock) => {
        if (!listener) return sock.destroy();
        listener.connections.add(sock);
        sock.once("close", () => listener.connections.delete(sock));
        onConnection(sock, listener);
      });
      const fail = (e) => {
        server.close();
        reject(zerr(systemErrorCode(e), e.message, given));
      };
      server.once("error", fail);
      const ready = () => {
        server.off("error", fail);
        server.on("error", () => {
        });
        let address;
        if (ep.transport === "tcp") {
          const a = server.address();
          address = formatEndpoint(ep, a.port, ep.host === "" ? "0.0.0.0" : a.address);
        } else {
          address = formatEndpoint(ep);
        }
        listener = new _Listener(server, address, ep.transport === "ipc" && !ep.path.startsWith("\0") ? ep.path : void 0);
        resolve(listener);
      };
      if (ep.transport === "tcp") {
        server.listen({ host: ep.host === "" ? "0.0.0.0" : ep.host, port: ep.port, backlog: 511 }, ready);
      } else {
        if (!ep.path.startsWith("\0")) {
          try {
            if (lstatSync(ep.path).isSocket()) unlinkSync(ep.path);
          } catch {
          }
        }
        server.listen({ path: ep.path, backlog: 511 }, ready);
      }
    });
  }
  /** Stops listening, closes accepted connections if asked, and removes the ipc file. */
  close(dropConnections) {
    this.server.close();
    if (dropConnections) for (const c of this.connections) c.destroy();
    if (this.ipcPath) {
      try {
        unlinkSync(this.ipcPath);
      } catch {
      }
    }
  }
};

// src/sockets/socket-base.ts
var RESOLVED = Promise.resolve();
function toFrame(f) {
  if (Buffer.isBuffer(f)) return f;
  if (typeof f === "string") return Buffer.from(f);
  if (f instanceof Uint8Array) return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
  if (f instanceof ArrayBuffer) return Buffer.from(f);
  throw zerr("EINVAL", "a frame must be a string, Buffer, Uint8Array or ArrayBuffer");
}
function toFrames(msg) {
  if (Array.isArray(msg)) {
    if (msg.length === 0) throw zerr("EINVAL", "a message needs at least one frame");
    const out = new Array(msg.length);
    for (let i = 0; i < msg.length; i++) out[i] = toFrame(msg[i]);
    return out;
  }
  return [toFrame(msg)];
}
var SocketBase = class {
  /** PLAIN, CURVE and ZAP settings; the mechanism follows the last one set, as in libzmq. */
  security = new SecurityOptions();
  /** ZMQ_PLAIN_SERVER. See {@link SocketOptions.plainServer}. */
  get plainServer() {
    return this.security.plainServer;
  }
  set plainServer(v) {
    this.security.setPlainServer(checkOption("plainServer", v));
  }
  /** ZMQ_PLAIN_USERNAME. See {@link SocketOptions.plainUsername}. */
  get plainUsername() {
    return this.security.plainUsername;
  }
  set plainUsername(v) {
    this.security.setPlainCredential("plainUsername", checkOption("plainUsername", v));
  }
  /** ZMQ_PLAIN_PASSWORD. See {@link SocketOptions.plainPassword}. */
  get plainPassword() {
    return this.security.plainPassword;
  }
  set plainPassword(v) {
    this.security.setPlainCredential("plainPassword", checkOption("plainPassword", v));
  }
  /** ZMQ_CURVE_SERVER. See {@link SocketOptions.curveServer}. */
  get curveServer() {
    return this.security.curveServer;
  }
  set curveServer(v) {
    this.security.setCurveServer(checkOption("curveServer", v));
  }
  /** ZMQ_CURVE_PUBLICKEY. See {@link SocketOptions.curvePublicKey}. */
  get curvePublicKey() {
    return this.security.curvePublicKey;
  }
  set curvePublicKey(v) {
    this.security.setCurveKey("curvePublicKey", v);
  }
  /** ZMQ_CURVE_SECRETKEY. See {@link SocketOptions.curveSecretKey}. */
  get curveSecretKey() {
    return this.security.curveSecretKey;
  }
  set curveSecretKey(v) {
    this.security.setCurveKey("curveSecretKey", v);
  }
  /** ZMQ_CURVE_SERVERKEY. See {@link SocketOptions.curveServerKey}. */
  get curveServerKey() {
    return this.security.curveServerKey;
  }
  set curveServerKey(v) {
    this.security.setCurveKey("curveServerKey", v);
  }
  /** ZMQ_ZAP_DOMAIN. See {@link SocketOptions.zapDomain}. */
  get zapDomain() {
    return this.security.zapDomain;
  }
  set zapDomain(v) {
    this.security.zapDomain = checkOption("zapDomain", v) ?? "";
  }
  /** ZMQ_MECHANISM: the security mechanism new connections use (zeromq.js `securityMechanism`). */
  get securityMechanism() {
    return this.security.mechanism;
  }
  /** The endpoint of the last bind or connect, resolved (`tcp://127.0.0.1:41234`), or null. */
  lastEndpoint = null;
  /** Socket events (zeromq.js names and payloads). */
  events = new Observer();
  /** Every pipe the socket uses (connected peers, and connecting ones that keep their queue). */
  pipes = /* @__PURE__ */ new Set();
  /** Pipes holding inbound messages, in arrival order: fair queuing takes from the head. */
  readablePipes = new Queue();
  inReadable = /* @__PURE__ */ new Set();
  sendQueue = new Queue();
  recvQueue = new Queue();
  listeners = /* @__PURE__ */ new Map();
  connecters = /* @__PURE__ */ new Map();
  engines = /* @__PURE__ */ new Set();
  engineOrigin = /* @__PURE__ */ new Map();
  isClosed = false;
  readableWaiters = [];
  stats = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0, reconnects: 0, protocolErrors: 0 };
  /** Option values; read and written through the accessors {@link defineOptions} puts on the prototypes. */
  opts = optionDefaults();
  /** Sets options from an object, checking each (zeromq.js constructor semantics). */
  applyOptions(options) {
    for (const [k, v] of Object.entries(options)) {
      if (!(k in optionTable) || !(k in this)) throw zerr("EINVAL", `unknown option ${JSON.stringify(k)} for this socket type`);
      this[k] = v;
    }
  }
  /** libzmq's numeric socket type. */
  get type() {
    return socketTypeNumber[this.typeName];
  }
  /** True once {@link close} was called. */
  get closed() {
    return this.isClosed;
  }
  /** True when a receive would complete at once. */
  get readable() {
    return this.readablePipes.length > 0;
  }
  /** True when a send would complete at once. */
  get writable() {
    return this.canSendNow();
  }
  // ---- endpoints -----------------------------------------------------------------------------
  /** Binds to an endpoint (`tcp://127.0.0.1:*`, `ipc:///tmp/x.sock`, `ipc://@name`). */
  async bind(address) {
    this.assertOpen();
    if (typeof address === "string" && address.startsWith("inproc://")) return this.bindInproc(address);
    let ep;
    try {
      ep = parseEndpoint(address, true);
    } catch (e) {
      this.events.emit({ type: "bind:error", address, error: e });
      throw e;
    }
    let l;
    try {
      l = await Listener.open(ep, address, (sock, listener) => this.accepted(sock, listener));
    } catch (e) {
      this.events.emit({ type: "bind:error", address, error: e });
      throw e;
    }
    if (this.isClosed) {
      l.close(true);
      throw zerr("EBADF", void 0, address);
    }
    this.listeners.set(l.address, l);
    this.lastEndpoint = l.address;
    this.events.emit({ type: "bind", address: l.address });
  }
  /** inproc bind: immediate, in this process's name table (src/transport/inproc.ts). */
  bindInproc(address) {
    let l;
    try {
      l = InprocListener.open(address, (sock, listener) => this.accepted(sock, listener));
    } catch (e) {
      this.events.emit({ type: "bind:error", address, error: e });
      return Promise.reject(e);
    }
    this.listeners.set(l.address, l);
    this.lastEndpoint = l.address;
    this.events.emit({ type: "bind", address: l.address });
    return Promise.resolve();
  }
  /** Stops listening on an endpoint and closes the connections accepted through it. */
  async unbind(address) {
    this.assertOpen();
    const l = this.listeners.get(address);
    if (!l) throw zerr("ENOENT", `not bound to ${address}`, address);
    this.listeners.delete(address);
    l.close(true);
    this.events.emit({ type: "close", address: l.address });
  }
  /** Connects to an endpoint; the connection is made (and remade) in the background. */
  connect(address, _options) {
    this.assertOpen();
    const inproc = typeof address === "string" && address.startsWith("inproc://");
    const ep = inproc ? void 0 : parseEndpoint(address, false);
    if (this.connecters.has(address)) return;
    const c = ep ? new Connecter(ep, address, () => this, this) : new InprocConnecter(address, () => this, this);
    const entry = { connecter: c, pipe: void 0, routingId: this.takeConnectRoutingId() };
    this.connecters.set(address, entry);
    this.lastEndpoint = address;
    if (!this.immediate) {
      entry.pipe = this.newPipe(address, true, entry.routingId);
    }
    c.start();
  }
  /** Stops connecting to an endpoint, closes its connection and drops what was queued for it. */
  disconnect(address) {
    this.assertOpen();
    const entry = this.connecters.get(address);
    if (!entry) throw zerr("ENOENT", `not connected to ${address}`, address);
    this.connecters.delete(address);
    entry.connecter.stop();
    for (const [e, origin] of this.engineOrigin) if (origin === entry.connecter) e.close(void 0);
    if (entry.pipe) this.removePipe(entry.pipe);
  }
  // ---- connections ---------------------------------------------------------------------------
  accepted(sock, l) {
    if (this.isClosed) return void sock.destroy();
    this.events.emit({ type: "accept", address: l.address });
    this.startEngine(sock, l, l.address);
  }
  /** ConnecterHost. */
  connected(sock, c) {
    this.startEngine(sock, c, c.address);
  }
  /** ConnecterHost. */
  connectEvent(type, address, interval, error) {
    if (type === "connect:retry") this.stats.reconnects++;
    const ev = { type, address };
    if (interval !== void 0) ev.interval = interval;
    if (error !== void 0) ev.error = error;
    this.events.emit(ev);
  }
  startEngine(sock, origin, address) {
    const props = [["Socket-Type", this.typeName]];
    if (this.typeName === "REQ" || this.typeName === "DEALER" || this.typeName === "ROUTER") {
      props.push(["Identity", this.routingId === null ? Buffer.alloc(0) : Buffer.from(this.routingId, "latin1")]);
    }
    let mechanism;
    try {
      mechanism = this.security.create(props, {
        domain: this.security.zapDomain,
        address: sock.remoteAddress ?? "",
        identity: this.routingId === null ? Buffer.alloc(0) : Buffer.from(this.routingId, "latin1")
      });
    } catch (e) {
      sock.destroy();
      this.events.emit({ type: "handshake:error:other", address, error: e });
      return;
    }
    const engine = new Engine(
      sock,
      mechanism,
      {
        zap: zapRequest2,
        socketType: this.typeName,
        maxMessageSize: this.maxMessageSize,
        handshakeInterval: this.handshakeInterval,
        heartbeatInterval: this.heartbeatInterval,
        heartbeatTimeout: this.heartbeatTimeout,
        heartbeatTimeToLive: this.heartbeatTimeToLive
      },
      this,
      address
    );
    this.engines.add(engine);
    this.engineOrigin.set(engine, origin);
  }
  /** EngineHost: the peer completed its handshake. */
  engineReady(engine, peer) {
    const origin = this.engineOrigin.get(engine);
    if (this.isClosed || !origin) return zerr("EBADF");
    let pipe;
    if (origin instanceof Connecter) {
      const entry = this.connecters.get(origin.address);
      if (!entry) return zerr("EBADF");
      const fresh = !entry.pipe;
      pipe = entry.pipe ?? this.newPipe(origin.address, true, entry.routingId);
      pipe.peer = peer;
      const refused = this.pipeHandshaken(pipe, peer);
      if (refused) {
        if (fresh) this.removePipe(pipe);
        return refused;
      }
      entry.pipe = pipe;
    } else {
      pipe = this.newPipe(origin.address, false);
      pipe.peer = peer;
      const refused = this.pipeHandshaken(pipe, peer);
      if (refused) {
        this.removePipe(pipe);
        return refused;
      }
    }
    pipe.handshaken = true;
    this.events.emit({ type: "handshake", address: engine.address });
    queueMicrotask(() => this.serveSenders());
    return pipe;
  }
  /** EngineHost: the connection is gone. */
  engineClosed(engine, error, handshaken) {
    this.engines.delete(engine);
    const origin = this.engineOrigin.get(engine);
    this.engineOrigin.delete(engine);
    this.stats.bytesIn += engine.bytesIn;
    this.stats.bytesOut += engine.bytesOut;
    const pipe = engine.attachedPipe;
    if (error && error.code.startsWith("ERR_ZMTP")) this.stats.protocolErrors++;
    if (!this.isClosed) {
      if (!handshaken && error && error.code !== "ERR_ZMTP_SOCKET_TYPE") {
        const other = error.code === "ERR_ZMTP_HANDSHAKE_TIMEOUT" || !error.code.startsWith("ERR_ZMTP");
        const type = error instanceof AuthError ? "handshake:error:auth" : other ? "handshake:error:other" : "handshake:error:protocol";
        this.events.emit({ type, address: engine.address, error });
      }
      this.events.emit({ type: "disconnect", address: engine.address });
    }
    if (this.isClosed) {
      if (pipe) this.removePipe(pipe);
    } else if (origin instanceof Connecter) {
      const entry = this.connecters.get(origin.address);
      if (entry && pipe && entry.pipe === pipe && this.immediate) {
        entry.pipe = void 0;
        this.removePipe(pipe);
      } else if (pipe) {
        this.pipeDisconnected(pipe);
      }
      if (entry && !this.isClosed) origin.retry();
    } else if (pipe) {
      this.removePipe(pipe);
    }
  }
  newPipe(endpoint, outbound, connectRoutingId = null) {
    const p = new Pipe(this, endpoint, outbound, this.sendHighWaterMark, this.receiveHighWaterMark);
    p.presetRoutingId = connectRoutingId;
    this.pipes.add(p);
    if (this.probeRouter) p.write([Buffer.alloc(0)]);
    this.pipeAdded(p);
    return p;
  }
  /**
   * Drops a pipe with both its queues. RFC 28 (DEALER, ROUTER): the socket "SHALL destroy its double
   * queue when its peer disconnects and SHALL discard any messages it contains".
   */
  removePipe(p) {
    if (p.closed) return;
    this.discardInbound(p);
    p.closed = true;
    this.pipes.delete(p);
    p.out.clear();
    this.pipeRemoved(p);
  }
  /** Drops a peer: closes its connection and its pipe (ROUTER handover). */
  dropPeer(p) {
    const e = p.engine;
    this.removePipe(p);
    if (e instanceof Engine) e.close(void 0);
  }
  takeConnectRoutingId() {
    const id = this.connectRoutingId;
    this.connectRoutingId = null;
    return id;
  }
  // ---- PipeOwner -----------------------------------------------------------------------------
  /** PipeOwner: a pipe has inbound messages. */
  pipeReadable(p) {
    if (!this.inReadable.has(p)) {
      this.inReadable.add(p);
      this.readablePipes.push(p);
    }
    this.serveReceivers();
    if (this.readableWaiters.length > 0) this.wakeReadable();
  }
  wakeReadable() {
    const w = this.readableWaiters;
    this.readableWaiters = [];
    for (const f of w) f();
  }
  /**
   * @internal For Proxy: the next message if one is ready and no receive() is waiting, else undefined.
   * Unlike receive() it leaves nothing pending that could swallow a later message.
   */
  receiveNow() {
    if (this.isClosed || this.recvQueue.length > 0) return void 0;
    return this.xrecv();
  }
  /** @internal For Proxy: resolves when a message may be ready, or the socket closed, or `wake()` is called. */
  whenReadable() {
    if (this.isClosed) return RESOLVED;
    return new Promise((resolve) => this.readableWaiters.push(resolve));
  }
  /** @internal Wakes whoever waits in {@link whenReadable}. */
  wake() {
    this.wakeReadable();
  }
  /** PipeOwner: a pipe's outbound queue has room again. */
  pipeWritable(_p) {
    this.serveSenders();
  }
  /**
   * Takes the next inbound message by fair queuing over pipes, optionally only from pipes `accept`
   * allows (REQ reads only from the peer it asked). Returns the pipe too.
   */
  readFair(accept) {
    const n = this.readablePipes.length;
    for (let i = 0; i < n; i++) {
      const p = this.readablePipes.shift();
      if (accept && !accept(p)) {
        this.readablePipes.push(p);
        continue;
      }
      const m = p.read();
      if (p.in.length > 0) this.readablePipes.push(p);
      else this.inReadable.delete(p);
      if (m) {
        this.stats.messagesIn++;
        return [m, p];
      }
    }
    return void 0;
  }
  /** Discards every queued inbound message, of one pipe or of all. */
  discardInbound(p) {
    if (p) {
      while (p.read()) {
      }
      return;
    }
    while (this.readFair()) {
    }
  }
  // ---- send ----------------------------------------------------------------------------------
  /**
   * Sends a message (one frame or an array of frames). Resolves once the message is queued for a
   * peer. Unlike zeromq.js, concurrent sends do not fail with EBUSY: they are queued and served in
   * order, each waiting its turn (up to `sendTimeout`), so back-pressure still holds.
   */
  send(message) {
    if (this.isClosed) return Promise.reject(zerr("EBADF"));
    let frames;
    try {
      frames = toFrames(message);
      this.checkSend(frames);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.sendQueue.length === 0) {
      try {
        if (this.xsend(frames)) {
          this.stats.messagesOut++;
          if (this.recvQueue.length > 0) this.serveReceivers();
          return RESOLVED;
        }
      } catch (e) {
        return Promise.reject(e);
      }
      if (this.sendTimeout === 0) return Promise.reject(zerr("EAGAIN"));
    }
    return new Promise((resolve, reject) => {
      const p = { frames, resolve, reject, timer: void 0 };
      if (this.sendTimeout > 0) {
        p.timer = setTimeout(() => this.expireSend(p), this.sendTimeout);
      }
      this.sendQueue.push(p);
    });
  }
  expireSend(p) {
    const rest = this.sendQueue.drain().filter((x) => x !== p);
    for (const x of rest) this.sendQueue.push(x);
    p.reject(zerr("EAGAIN"));
    this.serveSenders();
  }
  /** Tries queued sends in order after a pipe got room or joined. */
  serveSenders() {
    let p;
    while (p = this.sendQueue.peek()) {
      let sent;
      try {
        sent = this.xsend(p.frames);
      } catch (e) {
        this.sendQueue.shift();
        clearTimeout(p.timer);
        p.reject(e);
        continue;
      }
      if (!sent) return;
      this.sendQueue.shift();
      clearTimeout(p.timer);
      this.stats.messagesOut++;
      p.resolve();
    }
  }
  /** Sends accepted by send() and still waiting their turn. */
  get pendingSends() {
    return this.sendQueue.length;
  }
  /** True if a send issued now would be accepted at once. */
  canSendNow() {
    return false;
  }
  // ---- receive -------------------------------------------------------------------------------
  /**
   * Resolves to the next message as an array of Buffers. Concurrent receives are served in call
   * order (no EBUSY). Rejects with EAGAIN after `receiveTimeout`, EBADF once closed.
   */
  receive() {
    if (this.isClosed) return Promise.reject(zerr("EBADF"));
    try {
      this.checkReceive();
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.recvQueue.length === 0) {
      const m = this.xrecv();
      if (m) return Promise.resolve(m);
    }
    if (this.receiveTimeout === 0) return Promise.reject(zerr("EAGAIN"));
    return new Promise((resolve, reject) => {
      const p = { resolve, reject, timer: void 0 };
      if (this.receiveTimeout > 0) {
        p.timer = setTimeout(() => {
          const rest = this.recvQueue.drain().filter((x) => x !== p);
          for (const x of rest) this.recvQueue.push(x);
          reject(zerr("EAGAIN"));
        }, this.receiveTimeout);
      }
      this.recvQueue.push(p);
    });
  }
  /** Hands arrived messages to waiting receivers, in order. */
  serveReceivers() {
    while (this.recvQueue.length > 0) {
      const m = this.xrecv();
      if (!m) return;
      const p = this.recvQueue.shift();
      clearTimeout(p.timer);
      p.resolve(m);
    }
  }
  /**
   * Iterates over received messages until the socket closes. A hand-written iterator rather than an
   * async generator: one promise per message instead of several.
   */
  [Symbol.asyncIterator]() {
    const done = { done: true, value: void 0 };
    const onError = (e) => {
      if (this.isClosed) return done;
      throw e;
    };
    return {
      next: () => {
        if (this.isClosed) return Promise.resolve(done);
        if (this.recvQueue.length === 0 && this.receiveTimeout !== 0) {
          const m = this.xrecvChecked();
          if (m) return Promise.resolve({ done: false, value: m });
        }
        return this.receive().then((value) => ({ done: false, value }), onError);
      },
      return: () => Promise.resolve(done)
    };
  }
  /** xrecv after the type's receive check; undefined when the check fails (receive() then reports it). */
  xrecvChecked() {
    try {
      this.checkReceive();
    } catch {
      return void 0;
    }
    return this.xrecv();
  }
  // ---- close ---------------------------------------------------------------------------------
  /**
   * Closes the socket. Pending sends and receives reject with EBADF. Messages already queued to
   * connected peers are flushed for up to `linger` ms (-1: until written or the peer is gone; 0: not
   * at all); queues of peers not connected are dropped. Nothing keeps the process alive afterwards.
   */
  close() {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const p of this.sendQueue.drain()) {
      clearTimeout(p.timer);
      p.reject(zerr("EBADF"));
    }
    for (const p of this.recvQueue.drain()) {
      clearTimeout(p.timer);
      p.reject(zerr("EBADF"));
    }
    for (const l of this.listeners.values()) {
      l.close(false);
      this.events.emit({ type: "close", address: l.address });
    }
    this.listeners.clear();
    for (const { connecter } of this.connecters.values()) connecter.stop();
    this.connecters.clear();
    const lingering = /* @__PURE__ */ new Set();
    for (const e of [...this.engines]) {
      const p = e.attachedPipe;
      if (this.linger !== 0 && e.ready && p) {
        lingering.add(p);
        e.finish(this.linger);
      } else {
        e.close(void 0);
      }
    }
    for (const p of [...this.pipes]) if (!lingering.has(p)) this.removePipe(p);
    this.wakeReadable();
    this.events.emit({ type: "end" });
  }
  /** Statistics: messages and bytes in and out, peers, queue depths, reconnects, protocol errors. */
  get statistics() {
    let bytesIn = this.stats.bytesIn;
    let bytesOut = this.stats.bytesOut;
    let peers = 0;
    for (const e of this.engines) {
      bytesIn += e.bytesIn;
      bytesOut += e.bytesOut;
      if (e.ready) peers++;
    }
    return {
      messagesIn: this.stats.messagesIn,
      messagesOut: this.stats.messagesOut,
      bytesIn,
      bytesOut,
      peers,
      queues: [...this.pipes].map((p) => ({ endpoint: p.endpoint, out: p.out.length, in: p.in.length, connected: p.engine !== void 0 })),
      reconnects: this.stats.reconnects,
      protocolErrors: this.stats.protocolErrors
    };
  }
  assertOpen() {
    if (this.isClosed) throw zerr("EBADF");
  }
  // ---- hooks for socket types ----------------------------------------------------------------
  /** A pipe joined the socket (a connecting pipe before its handshake, an accepted one after). */
  pipeAdded(_p) {
  }
  /** A pipe's peer completed its handshake. Return an error to refuse the peer (nothing it sent is delivered). */
  pipeHandshaken(_p, _peer) {
    return void 0;
  }
  /** A connecting pipe lost its connection but stays (its queue waits for the next one). */
  pipeDisconnected(_p) {
  }
  /** A pipe left the socket for good. */
  pipeRemoved(_p) {
  }
  /** Validates a send at call time (EFSM ...). */
  checkSend(_frames) {
  }
  /** Validates a receive at call time (EFSM ...). */
  checkReceive() {
  }
};
defineOptions(SocketBase.prototype, commonOptions);

// src/sockets/dealer.ts
var Dealer = class extends SocketBase {
  typeName = "DEALER";
  lb = new LoadBalancer();
  constructor(options = {}) {
    super();
    this.applyOptions(options);
  }
  pipeAdded(p) {
    this.lb.add(p);
  }
  pipeRemoved(p) {
    this.lb.remove(p);
  }
  canSendNow() {
    return this.lb.hasRoom;
  }
  xsend(frames) {
    const p = this.lb.pick();
    if (!p) return false;
    p.write(frames);
    return true;
  }
  xrecv() {
    return this.readFair()?.[0];
  }
};

// src/proxy.ts
var Proxy = class {
  /**
   * @param frontEnd socket facing clients (usually a Router)
   * @param backEnd socket facing workers (usually a Dealer)
   * @param capture optional socket that receives a copy of every forwarded message (a zmtp extension
   *   of zeromq.js's constructor; libzmq's capture argument)
   */
  constructor(frontEnd, backEnd, capture) {
    this.frontEnd = frontEnd;
    this.backEnd = backEnd;
    this.capture = capture;
  }
  frontEnd;
  backEnd;
  capture;
  running = false;
  terminated = false;
  paused = false;
  resumeWaiters = [];
  /** Forwards until {@link terminate} is called or either socket closes. Rejects EBUSY if already running. */
  async run() {
    if (this.running) throw zerr("EFSM", "proxy is already running");
    if (this.terminated) throw zerr("EFSM", "proxy was terminated");
    if (this.frontEnd.closed || this.backEnd.closed) throw zerr("EBADF");
    this.running = true;
    try {
      await Promise.all([this.forward(this.frontEnd, this.backEnd), this.forward(this.backEnd, this.frontEnd)]);
    } finally {
      this.running = false;
      this.terminated = true;
    }
  }
  /** Stops forwarding until {@link resume}; messages wait in the sockets' queues meanwhile. */
  pause() {
    if (this.terminated) throw zerr("EFSM", "proxy was terminated");
    this.paused = true;
  }
  /** Resumes forwarding after {@link pause}. */
  resume() {
    if (this.terminated) throw zerr("EFSM", "proxy was terminated");
    this.paused = false;
    const w = this.resumeWaiters;
    this.resumeWaiters = [];
    for (const f of w) f();
  }
  /** Ends {@link run}. The sockets stay open; close them yourself. */
  terminate() {
    if (this.terminated) return;
    this.terminated = true;
    this.paused = false;
    for (const f of this.resumeWaiters.splice(0)) f();
    this.frontEnd.wake();
    this.backEnd.wake();
  }
  async forward(from, to) {
    while (!this.terminated && !from.closed && !to.closed) {
      if (this.paused) {
        await new Promise((r) => this.resumeWaiters.push(r));
        continue;
      }
      const msg = from.receiveNow();
      if (!msg) {
        await from.whenReadable();
        continue;
      }
      if (this.capture && !this.capture.closed) {
        this.capture.send(msg.slice()).catch(() => {
        });
      }
      try {
        await to.send(msg);
      } catch (e) {
        if (to.closed) return;
        if (e.code !== "EHOSTUNREACH" && e.code !== "EAGAIN") throw e;
      }
    }
  }
};

// src/sockets/router.ts
var Router = class extends SocketBase {
  typeName = "ROUTER";
  routes = /* @__PURE__ */ new Map();
  /** libzmq starts generated ids at a random 32-bit value. */
  nextId = Math.random() * 4294967296 >>> 0;
  constructor(options = {}) {
    super();
    this.applyOptions(options);
  }
  /**
   * Connects to an endpoint. `options.routingId` (zeromq.js v6; ZMQ_CONNECT_ROUTING_ID) names the
   * peer of this connection: messages to that id are routable at once and queue until it is up.
   */
  connect(address, options = {}) {
    if (options.routingId !== void 0) this.connectRoutingId = checkOption("connectRoutingId", options.routingId);
    super.connect(address);
  }
  pipeAdded(p) {
    if (p.presetRoutingId !== null) this.assign(p, Buffer.from(p.presetRoutingId, "latin1"));
  }
  pipeHandshaken(p, peer) {
    let id;
    if (p.presetRoutingId !== null) id = Buffer.from(p.presetRoutingId, "latin1");
    else {
      const announced = peer.get("identity");
      if (announced && announced.length > 0 && announced[0] !== 0) id = Buffer.from(announced);
      else id = this.generateId();
    }
    this.assign(p, id);
    return void 0;
  }
  /** Gives a pipe a routing id, following libzmq's rules for an id already in use. */
  assign(p, id) {
    const key = id.toString("latin1");
    if (p.routingKey === key) return;
    if (p.routingKey !== void 0) this.routes.delete(p.routingKey);
    const existing = this.routes.get(key);
    if (existing && existing !== p) {
      if (!this.handover) {
        p.routingKey = void 0;
        return;
      }
      this.routes.delete(key);
      existing.routingKey = void 0;
      queueMicrotask(() => this.dropPeer(existing));
    }
    p.routingId = id;
    p.inboundPrefix = id;
    p.routingKey = key;
    this.routes.set(key, p);
  }
  pipeRemoved(p) {
    if (p.routingKey !== void 0 && this.routes.get(p.routingKey) === p) this.routes.delete(p.routingKey);
  }
  canSendNow() {
    return true;
  }
  generateId() {
    const b = Buffer.allocUnsafe(5);
    b[0] = 0;
    b.writeUInt32BE(this.nextId, 1);
    this.nextId = this.nextId + 1 >>> 0;
    return b;
  }
  xsend(frames) {
    const p = this.routes.get(frames[0].toString("latin1"));
    if (!p) {
      if (this.mandatory) throw zerr("EHOSTUNREACH");
      return true;
    }
    if (!p.makeRoom()) {
      return !this.mandatory;
    }
    if (frames.length > 1) p.write(frames.slice(1));
    return true;
  }
  xrecv() {
    for (; ; ) {
      const r = this.readFair();
      if (!r) return void 0;
      const [m, p] = r;
      if (p.routingKey === void 0) continue;
      return m;
    }
  }
};
defineOptions(Router.prototype, ["mandatory", "handover"]);

// src/sockets/request.ts
var EMPTY2 = Buffer.alloc(0);
var Request = class extends SocketBase {
  typeName = "REQ";
  lb = new LoadBalancer();
  /** The peer the outstanding request went to; undefined when a request may be sent. */
  replyPipe;
  requestId = Math.random() * 4294967296 >>> 0;
  expectedId;
  constructor(options = {}) {
    super();
    this.applyOptions(options);
  }
  pipeAdded(p) {
    this.lb.add(p);
  }
  pipeRemoved(p) {
    this.lb.remove(p);
  }
  canSendNow() {
    return (this.replyPipe === void 0 || this.relaxed) && this.lb.hasRoom;
  }
  checkSend() {
    if (!this.relaxed && (this.replyPipe !== void 0 || this.pendingSends > 0)) throw zerr("EFSM");
  }
  checkReceive() {
    if (this.replyPipe === void 0 && this.pendingSends === 0) throw zerr("EFSM");
  }
  xsend(frames) {
    const p = this.lb.pick();
    if (!p) return false;
    this.discardInbound();
    let msg;
    if (this.correlate) {
      const id = Buffer.allocUnsafe(4);
      id.writeUInt32BE(this.requestId, 0);
      this.requestId = this.requestId + 1 >>> 0;
      this.expectedId = id;
      msg = [id, EMPTY2, ...frames];
    } else {
      msg = [EMPTY2, ...frames];
    }
    p.write(msg);
    this.replyPipe = p;
    return true;
  }
  xrecv() {
    const want = this.replyPipe;
    if (!want) return void 0;
    for (; ; ) {
      const r = this.readFair();
      if (!r) return void 0;
      const [m, p] = r;
      if (p !== want) continue;
      let i = 0;
      if (this.correlate) {
        if (m.length < 1 || !this.expectedId || !m[0].equals(this.expectedId)) continue;
        i = 1;
      }
      if (m.length < i + 2 || m[i].length !== 0) continue;
      this.replyPipe = void 0;
      this.expectedId = void 0;
      return i === 0 ? (m.shift(), m) : m.slice(i + 1);
    }
  }
};
defineOptions(Request.prototype, ["correlate", "relaxed"]);

// src/sockets/reply.ts
var Reply = class extends SocketBase {
  typeName = "REP";
  /** The peer and envelope of the request being answered; undefined while waiting for a request. */
  pending;
  constructor(options = {}) {
    super();
    this.applyOptions(options);
  }
  canSendNow() {
    return this.pending !== void 0;
  }
  checkSend() {
    if (!this.pending) throw zerr("EFSM");
  }
  checkReceive() {
    if (this.pending && this.pendingSends === 0) throw zerr("EFSM");
  }
  xsend(frames) {
    const { pipe, envelope } = this.pending;
    this.pending = void 0;
    if (!pipe.closed && pipe.makeRoom()) pipe.write(envelope.concat(frames));
    return true;
  }
  xrecv() {
    if (this.pending) return void 0;
    for (; ; ) {
      const r = this.readFair();
      if (!r) return void 0;
      const [m, pipe] = r;
      const d = m.findIndex((f) => f.length === 0);
      if (d < 0 || d === m.length - 1) continue;
      this.pending = { pipe, envelope: m.slice(0, d + 1) };
      return m.slice(d + 1);
    }
  }
};

// src/rpc/client.ts
import { randomBytes as randomBytes3 } from "crypto";

// src/rpc/errors.ts
var RpcError = class extends Error {
  /** Stable machine-readable code. */
  code;
  constructor(code, message) {
    super(message);
    this.name = "RpcError";
    this.code = code;
  }
};
var RemoteError = class extends RpcError {
  constructor(wire, method, callId) {
    super(wire.code === void 0 ? "ERR_RPC_REMOTE" : String(wire.code), wire.message);
    this.method = method;
    this.callId = callId;
    this.name = "RemoteError";
    this.remoteName = wire.name;
    this.remoteCode = wire.code;
    this.data = wire.data;
  }
  method;
  callId;
  /** The remote error's `name`. */
  remoteName;
  /** The remote error's `code`, exactly as thrown (undefined if it had none). */
  remoteCode;
  /** The remote error's `data`, if it had one. */
  data;
};
var TimeoutError = class extends RpcError {
  constructor(method, callId, timeout, attempts) {
    super("ETIMEDOUT", `${method}: no reply within ${timeout} ms${attempts > 1 ? ` (${attempts} attempts)` : ""}`);
    this.method = method;
    this.callId = callId;
    this.timeout = timeout;
    this.attempts = attempts;
    this.name = "TimeoutError";
  }
  method;
  callId;
  timeout;
  attempts;
};
function toWireError(e) {
  if (e instanceof Error) {
    const w = { name: e.name, message: e.message };
    const code = e.code;
    if (typeof code === "string" || typeof code === "number") w.code = code;
    const data = e.data;
    if (data !== void 0) w.data = data;
    return w;
  }
  return { name: "Error", message: typeof e === "string" ? e : `non-error thrown: ${String(e)}` };
}

// src/rpc/protocol.ts
import { Packr } from "msgpackr/index-no-eval";
var PROTOCOL_VERSION = 1;
var DEFAULT_TOPIC = "default";
var KIND_CALL = 0;
var KIND_CAST = 1;
var STATUS_OK = 0;
var STATUS_ERROR = 1;
var STATUS_ACK = 2;
var packr = new Packr({ useRecords: false, moreTypes: false });
function pack(value) {
  return packr.pack(value);
}
function unpack(buf) {
  return packr.unpack(buf);
}
var nil = (v) => v === void 0 ? null : v;
function encodeRequest(kind, id, method, params) {
  return pack([PROTOCOL_VERSION, kind, id, method, nil(params)]);
}
function encodeReply(status, id, payload) {
  return pack([PROTOCOL_VERSION, status, id, nil(payload)]);
}
function encodeError2(id, err) {
  return encodeReply(STATUS_ERROR, id, err);
}
function decodeRequest(buf) {
  let v;
  try {
    v = unpack(buf);
  } catch (e) {
    throw protocolError(`request is not msgpack: ${e.message}`, "");
  }
  if (!Array.isArray(v) || v.length < 5) throw protocolError("request is not a [version, kind, id, method, params] array", "");
  const [version2, kind, id, method, params] = v;
  const callId = typeof id === "string" ? id : "";
  if (version2 !== PROTOCOL_VERSION) {
    const e = protocolError(`protocol version ${String(version2)} is not supported (this server speaks ${PROTOCOL_VERSION})`, callId);
    e.code = "ERR_RPC_VERSION";
    throw e;
  }
  if (typeof id !== "string" || id.length === 0) throw protocolError("request has no call id", callId);
  if (kind !== KIND_CALL && kind !== KIND_CAST) throw protocolError(`unknown request kind ${String(kind)}`, callId);
  if (typeof method !== "string") throw protocolError("method must be a string", callId);
  return { version: version2, kind, id, method, params };
}
function decodeReply(buf) {
  let v;
  try {
    v = unpack(buf);
  } catch (e) {
    throw protocolError(`reply is not msgpack: ${e.message}`, "");
  }
  if (!Array.isArray(v) || v.length < 4) throw protocolError("reply is not a [version, status, id, payload] array", "");
  const [version2, status, id, payload] = v;
  if (version2 !== PROTOCOL_VERSION) {
    const e = protocolError(`reply has protocol version ${String(version2)}, expected ${PROTOCOL_VERSION}`, String(id));
    e.code = "ERR_RPC_VERSION";
    throw e;
  }
  if (typeof status !== "number" || typeof id !== "string") throw protocolError("reply has no status or id", "");
  return { version: version2, status, id, payload };
}
function protocolError(message, callId) {
  const e = new RpcError("ERR_RPC_PROTOCOL", message);
  e.callId = callId;
  return e;
}
function wireErrorOf(payload) {
  if (payload && typeof payload === "object") {
    const p = payload;
    const w = {
      name: typeof p.name === "string" ? p.name : "Error",
      message: typeof p.message === "string" ? p.message : String(p.message ?? "remote error")
    };
    if (typeof p.code === "string" || typeof p.code === "number") w.code = p.code;
    if (p.data !== void 0 && p.data !== null) w.data = p.data;
    return w;
  }
  return { name: "Error", message: String(payload) };
}

// src/rpc/client.ts
var LOST = /* @__PURE__ */ Symbol("lost");
var RpcClient = class {
  options;
  endpoints;
  idle = [];
  waiters = [];
  inFlight = /* @__PURE__ */ new Set();
  open = 0;
  closed = false;
  tag = randomBytes3(6).toString("base64url");
  seq = 0;
  counters = {
    calls: 0,
    casts: 0,
    ok: 0,
    remoteErrors: 0,
    timeouts: 0,
    retries: 0,
    socketsOpened: 0,
    socketsDiscarded: 0
  };
  /**
   * @param endpoint the broker frontend (or a REP server) to connect to; several endpoints make each
   *   socket connect to all of them, and REQ round-robins over them.
   * Throws at once (EINVAL, EPROTONOSUPPORT) for a malformed endpoint.
   */
  constructor(endpoint, options = {}) {
    this.endpoints = Array.isArray(endpoint) ? endpoint : [endpoint];
    if (this.endpoints.length === 0) throw new RpcError("EINVAL", "no endpoint to connect to");
    this.options = {
      timeout: options.timeout ?? 5e3,
      retries: options.retries ?? 0,
      topic: options.topic ?? DEFAULT_TOPIC,
      poolSize: options.poolSize ?? 128,
      socketOptions: options.socketOptions ?? { linger: 0 }
    };
    checkCallOptions(this.options);
    if (!Number.isInteger(this.options.poolSize) || this.options.poolSize < 1) throw new RpcError("EINVAL", "poolSize must be a positive integer");
    this.idle.push(this.openSocket());
  }
  /**
   * Calls `method` and resolves with its result. Rejects with {@link RemoteError} if the handler threw
   * (or the server refused the call: unknown method, topic or version), with {@link TimeoutError} if no
   * reply came within `timeout` ms on the last of `1 + retries` attempts, with RpcError ERR_RPC_CLOSED
   * if the client is closed meanwhile.
   */
  async call(method, params, options = {}) {
    this.counters.calls++;
    return await this.request(KIND_CALL, method, params, options);
  }
  /**
   * Sends `method` to be run without waiting for its outcome: resolves as soon as the server has
   * acknowledged receipt, which it does once it has read the request and knows the method, before the
   * handler runs (the handler's result is dropped, its failure goes to the server's `onError`).
   * Rejects as {@link call} does; a timeout means the server may or may not have received it.
   */
  async cast(method, params, options = {}) {
    this.counters.casts++;
    await this.request(KIND_CAST, method, params, options);
  }
  /** Counters since start. */
  get stats() {
    return { ...this.counters };
  }
  /** REQ sockets open now (idle and busy). */
  get sockets() {
    return this.open;
  }
  /** Closes every socket; calls still waiting reject with RpcError ERR_RPC_CLOSED. */
  close() {
    if (this.closed) return;
    this.closed = true;
    for (const abort of [...this.inFlight]) abort();
    for (const s of this.idle.splice(0)) s.close();
    this.waiters.length = 0;
  }
  async request(kind, method, params, options) {
    if (this.closed) throw new RpcError("ERR_RPC_CLOSED", "client is closed");
    if (typeof method !== "string" || method.length === 0) throw new RpcError("EINVAL", "method must be a non-empty string");
    checkCallOptions(options);
    const timeout = options.timeout ?? this.options.timeout;
    const retries = options.retries ?? this.options.retries;
    const topic = options.topic ?? this.options.topic;
    const id = `${this.tag}.${(this.seq++).toString(36)}`;
    let frames;
    try {
      frames = [Buffer.from(topic), encodeRequest(kind, id, method, params)];
    } catch (e) {
      throw new RpcError("ERR_RPC_ENCODE", `params of ${method} cannot be encoded: ${e.message}`);
    }
    for (let attempt = 1; ; attempt++) {
      const reply = await this.attempt(frames, timeout, id);
      if (reply === LOST) {
        if (attempt <= retries) {
          this.counters.retries++;
          continue;
        }
        this.counters.timeouts++;
        throw new TimeoutError(method, id, timeout, attempt);
      }
      return this.outcome(reply, kind, method, id);
    }
  }
  outcome(reply, kind, method, id) {
    if (reply.status === STATUS_ERROR) {
      this.counters.remoteErrors++;
      throw new RemoteError(wireErrorOf(reply.payload), method, id);
    }
    if (kind === KIND_CALL && reply.status === STATUS_OK || kind === KIND_CAST && reply.status === STATUS_ACK) {
      this.counters.ok++;
      return reply.payload;
    }
    throw new RpcError("ERR_RPC_PROTOCOL", `${method}: unexpected reply status ${reply.status}`);
  }
  /**
   * One attempt: take a socket, send, wait for the reply. Resolves LOST on timeout (the socket is then
   * discarded) or when a reply for another call id shows up (never expected with correlate; treated
   * as lost so that a retry can repair it).
   */
  attempt(frames, timeout, id) {
    return new Promise((resolve, reject) => {
      let req;
      let done = false;
      const finish = () => {
        done = true;
        clearTimeout(timer);
        this.inFlight.delete(abort);
      };
      const abort = () => {
        if (done) return;
        finish();
        this.dropWaiter(waiter);
        if (req) this.discard(req);
        reject(new RpcError("ERR_RPC_CLOSED", "client was closed while the call waited"));
      };
      const timer = setTimeout(() => {
        if (done) return;
        finish();
        this.dropWaiter(waiter);
        if (req) this.discard(req);
        resolve(LOST);
      }, timeout);
      const waiter = {
        give: (r) => {
          if (done) return this.release(r);
          req = r;
          void exchange(r);
        }
      };
      const exchange = async (r) => {
        let body;
        try {
          await r.send(frames);
          [body] = await r.receive();
        } catch (e) {
          if (done) return;
          finish();
          this.discard(r);
          return reject(e);
        }
        if (done) return;
        finish();
        let reply;
        try {
          reply = decodeReply(body);
        } catch (e) {
          this.discard(r);
          return reject(e);
        }
        if (reply.id !== id) {
          this.discard(r);
          return resolve(LOST);
        }
        this.release(r);
        resolve(reply);
      };
      this.inFlight.add(abort);
      this.acquire(waiter);
    });
  }
  // ---- the pool ------------------------------------------------------------------------------
  openSocket() {
    const req = new Request({ ...this.options.socketOptions, correlate: true });
    try {
      for (const ep of this.endpoints) req.connect(ep);
    } catch (e) {
      req.close();
      throw e;
    }
    this.open++;
    this.counters.socketsOpened++;
    return req;
  }
  acquire(w) {
    const idle = this.idle.pop();
    if (idle) return w.give(idle);
    if (this.open < this.options.poolSize) return w.give(this.openSocket());
    this.waiters.push(w);
  }
  release(req) {
    if (this.closed) {
      this.discard(req);
      return;
    }
    const w = this.waiters.shift();
    if (w) w.give(req);
    else this.idle.push(req);
  }
  discard(req) {
    if (!req.closed) req.close();
    this.open--;
    this.counters.socketsDiscarded++;
    if (!this.closed && this.waiters.length > 0 && this.open < this.options.poolSize) this.waiters.shift().give(this.openSocket());
  }
  dropWaiter(w) {
    const i = this.waiters.indexOf(w);
    if (i >= 0) this.waiters.splice(i, 1);
  }
};
function checkCallOptions(o) {
  if (o.timeout !== void 0 && (!Number.isFinite(o.timeout) || o.timeout <= 0)) throw new RpcError("EINVAL", "timeout must be a positive number of ms");
  if (o.retries !== void 0 && (!Number.isInteger(o.retries) || o.retries < 0)) throw new RpcError("EINVAL", "retries must be an integer >= 0");
  if (o.topic !== void 0 && (typeof o.topic !== "string" || o.topic.length === 0)) throw new RpcError("EINVAL", "topic must be a non-empty string");
}

// src/rpc/outcome-cache.ts
var OutcomeCache = class {
  constructor(capacity) {
    this.capacity = capacity;
  }
  capacity;
  entries = /* @__PURE__ */ new Map();
  /** The entry for `id`, if remembered. */
  get(id) {
    return this.entries.get(id);
  }
  /**
   * Remembers `id` as running and returns a function that records its reply. Call only after
   * {@link get} returned undefined.
   */
  begin(id) {
    let settle;
    const done = new Promise((r) => settle = r);
    const entry = { reply: void 0, done, settle };
    if (this.capacity > 0) {
      this.entries.set(id, entry);
      this.evict();
    }
    return (reply) => {
      entry.reply = reply;
      entry.settle(reply);
    };
  }
  /** Number of remembered ids (running and finished). */
  get size() {
    return this.entries.size;
  }
  evict() {
    if (this.entries.size <= this.capacity) return;
    for (const [id, e] of this.entries) {
      if (this.entries.size <= this.capacity) return;
      if (e.reply !== void 0) this.entries.delete(id);
    }
  }
};

// src/rpc/server.ts
var RpcServer = class {
  handlers = /* @__PURE__ */ new Map();
  options;
  cache;
  sockets = [];
  closing = false;
  counters = { requests: 0, executions: 0, duplicates: 0, failures: 0, protocolErrors: 0 };
  constructor(handlers = {}, options = {}) {
    this.options = {
      concurrency: options.concurrency ?? 16,
      topic: options.topic ?? DEFAULT_TOPIC,
      cacheSize: options.cacheSize ?? 1e4,
      socketOptions: options.socketOptions ?? { linger: 0 },
      onError: options.onError ?? (() => {
      })
    };
    if (!Number.isInteger(this.options.concurrency) || this.options.concurrency < 1) {
      throw new RpcError("EINVAL", "concurrency must be a positive integer");
    }
    this.cache = new OutcomeCache(this.options.cacheSize);
    for (const [name, fn] of Object.entries(handlers)) this.handle(name, fn);
  }
  /** Adds (or replaces) the handler of a method. */
  handle(method, fn) {
    if (typeof fn !== "function") throw new RpcError("EINVAL", `handler of ${method} is not a function`);
    this.handlers.set(method, fn);
    return this;
  }
  /** The topic this server serves. */
  get topic() {
    return this.options.topic;
  }
  /**
   * Connects `concurrency` REP sockets to an endpoint (a broker backend, usually ipc). Returns at once;
   * the sockets connect and reconnect in the background. Throws EINVAL/EPROTONOSUPPORT for a bad endpoint.
   */
  connect(endpoint) {
    if (this.closing) throw new RpcError("ERR_RPC_CLOSED", "server is closed");
    for (let i = 0; i < this.options.concurrency; i++) {
      const rep = new Reply(this.options.socketOptions);
      try {
        rep.connect(endpoint);
      } catch (e) {
        rep.close();
        throw e;
      }
      this.sockets.push(rep);
      void this.serve(rep);
    }
  }
  /** Counters since start. */
  get stats() {
    return { ...this.counters };
  }
  /**
   * Stops serving: closes every socket at once (replies not yet sent are dropped; their callers time
   * out and may retry elsewhere). Handlers still running finish unobserved; this does not wait for them.
   */
  async close() {
    this.closing = true;
    for (const s of this.sockets) if (!s.closed) s.close();
  }
  async serve(rep) {
    while (!rep.closed) {
      let msg;
      try {
        msg = await rep.receive();
      } catch {
        return;
      }
      const reply = await this.dispatch(msg);
      try {
        await rep.send(reply);
      } catch {
        return;
      }
    }
  }
  /** Reads one request and produces its encoded reply. Never throws. */
  async dispatch(msg) {
    this.counters.requests++;
    const topic = msg.length >= 2 ? msg[0].toString() : "";
    let req;
    try {
      req = decodeRequest(msg[msg.length - 1]);
    } catch (e) {
      this.counters.protocolErrors++;
      const err = e;
      return encodeError2(err.callId ?? "", { name: "RpcError", message: err.message, code: err.code });
    }
    const cached = this.cache.get(req.id);
    if (cached) {
      this.counters.duplicates++;
      return cached.reply ?? await cached.done;
    }
    const record = this.cache.begin(req.id);
    const reply = await this.execute(req, topic);
    record(reply);
    return reply;
  }
  async execute(req, topic) {
    if (this.options.topic !== "*" && topic !== this.options.topic) {
      return encodeError2(req.id, {
        name: "RpcError",
        code: "ERR_RPC_TOPIC",
        message: `this server serves topic ${JSON.stringify(this.options.topic)}, not ${JSON.stringify(topic)}`
      });
    }
    const handler = this.handlers.get(req.method);
    if (!handler) {
      return encodeError2(req.id, { name: "RpcError", code: "ERR_RPC_NO_METHOD", message: `no method ${JSON.stringify(req.method)}` });
    }
    const ctx = { id: req.id, method: req.method, topic, cast: req.kind === KIND_CAST };
    if (ctx.cast) {
      setImmediate(() => {
        void this.invoke(handler, req.params, ctx).then((r2) => {
          if (!r2.ok) this.options.onError(r2.error, ctx);
        });
      });
      return encodeReply(STATUS_ACK, req.id, null);
    }
    const r = await this.invoke(handler, req.params, ctx);
    if (!r.ok) return this.encodeFailure(req.id, r.error);
    try {
      return encodeReply(STATUS_OK, req.id, r.value);
    } catch (e) {
      return encodeError2(req.id, { name: "RpcError", code: "ERR_RPC_ENCODE", message: `the result of ${req.method} cannot be encoded: ${e.message}` });
    }
  }
  async invoke(handler, params, ctx) {
    this.counters.executions++;
    try {
      return { ok: true, value: await handler(params, ctx) };
    } catch (error) {
      this.counters.failures++;
      return { ok: false, error };
    }
  }
  encodeFailure(id, error) {
    const wire = toWireError(error);
    try {
      return encodeReply(STATUS_ERROR, id, wire);
    } catch {
      delete wire.data;
      return encodeReply(STATUS_ERROR, id, wire);
    }
  }
};

// src/rpc/broker.ts
var Broker = class _Broker {
  constructor(router, dealers, running, proxy) {
    this.router = router;
    this.dealers = dealers;
    this.running = running;
    this.proxy = proxy;
    this.frontend = router.lastEndpoint;
    const b = {};
    for (const [t, d] of dealers) b[t] = d.lastEndpoint;
    this.backends = b;
  }
  router;
  dealers;
  running;
  proxy;
  /** The frontend's resolved endpoint (the real port for `tcp://...:*`). */
  frontend;
  /** Each topic's resolved backend endpoint, the default first. */
  backends;
  closed = false;
  /** Binds the frontend and every backend and starts forwarding. Rejects with the socket error (EADDRINUSE ...) and leaves nothing bound. */
  static async start(options) {
    const topics = [];
    if (options.backend !== void 0) topics.push([DEFAULT_TOPIC, options.backend]);
    for (const [t, ep] of Object.entries(options.topics ?? {})) {
      if (topics.some(([x]) => x === t)) throw new RpcError("EINVAL", `topic ${JSON.stringify(t)} given twice`);
      if (t.length === 0) throw new RpcError("EINVAL", "a topic name must not be empty");
      topics.push([t, ep]);
    }
    if (topics.length === 0) throw new RpcError("EINVAL", "a broker needs a backend");
    const router = new Router({ linger: 0 });
    const dealers = /* @__PURE__ */ new Map();
    try {
      await router.bind(options.frontend);
      for (const [t, ep] of topics) {
        const d = new Dealer({ linger: 0 });
        dealers.set(t, d);
        await d.bind(ep);
      }
    } catch (e) {
      router.close();
      for (const d of dealers.values()) d.close();
      throw e;
    }
    if (dealers.size === 1) {
      const proxy = new Proxy(router, [...dealers.values()][0]);
      return new _Broker(router, dealers, proxy.run().catch(() => {
      }), proxy);
    }
    return new _Broker(router, dealers, routeTopics(router, dealers), void 0);
  }
  /** Messages received on the frontend and on the backends so far. */
  get statistics() {
    let replies = 0;
    for (const d of this.dealers.values()) replies += d.statistics.messagesIn;
    return { requests: this.router.statistics.messagesIn, replies };
  }
  /** Stops forwarding and closes every socket (nothing lingers; ipc files are removed). */
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.proxy?.terminate();
    this.router.close();
    for (const d of this.dealers.values()) d.close();
    await this.running;
  }
};
async function routeTopics(router, dealers) {
  const byName = /* @__PURE__ */ new Map();
  for (const [t, d] of dealers) byName.set(t, d);
  const fallback = [...dealers.values()][0];
  const waiting2 = /* @__PURE__ */ new Map();
  const toBackend = async () => {
    for (; ; ) {
      let msg;
      try {
        msg = await router.receive();
      } catch {
        return;
      }
      const dealer = byName.get(topicOf(msg) ?? "") ?? fallback;
      const n = waiting2.get(dealer) ?? 0;
      waiting2.set(dealer, n + 1);
      const sent = dealer.send(msg).then(
        () => void waiting2.set(dealer, waiting2.get(dealer) - 1),
        () => void waiting2.set(dealer, waiting2.get(dealer) - 1)
      );
      if (n + 1 >= Math.max(1, dealer.sendHighWaterMark)) await sent;
    }
  };
  const toFrontend = async (d) => {
    for (; ; ) {
      let msg;
      try {
        msg = await d.receive();
        await router.send(msg);
      } catch {
        if (d.closed || router.closed) return;
      }
    }
  };
  await Promise.all([toBackend(), ...[...dealers.values()].map(toFrontend)]);
}
function topicOf(msg) {
  for (let i = 1; i < msg.length; i++) {
    if (msg[i].length === 0) return i + 2 < msg.length ? msg[i + 1].toString() : void 0;
  }
  return void 0;
}

// src/index.ts
var version = "3.1";
export {
  Broker,
  DEFAULT_TOPIC,
  Dealer,
  Observer,
  PROTOCOL_VERSION,
  ProtocolError,
  Proxy,
  RemoteError,
  Reply,
  Request,
  Router,
  RpcClient,
  RpcError,
  RpcServer,
  SocketBase as Socket,
  TimeoutError,
  ZmtpError,
  version
};
//# sourceMappingURL=index.js.map