/**
 * The option surface every socket shares, as zeromq.js has it: a property per option (checked
 * accessors generated from the declarative table in options.ts), the generic accessors keyed by
 * libzmq's option numbers (`getInt32Option(23)` reads what `sendHighWaterMark` reads), the read-only
 * properties, and the constructor's handling of its options object. The security options' setters
 * also choose the mechanism, as libzmq's do. Behaviour lives in socket-peers.ts and socket-base.ts.
 *
 * The class is named `Socket` at run time: V8 names the class that holds a getter in the TypeError
 * for assigning to it ("Cannot set property type of #<Socket> which has only a getter"), and that
 * is zeromq.js's text.
 */
import { Buffer } from "node:buffer"
import type { SocketTypeName } from "../codec/socket-types.js"
import { socketTypeNumber } from "../codec/socket-types.js"
import { Context, context } from "../context.js"
import type { LingeringSocket } from "../lifetime.js"
import { unknownOptionError, zerr } from "../errors.js"
import { Observer } from "../events.js"
import { SecurityOptions } from "../mechanisms/security.js"
import {
  LATE_OPTION_WARNING,
  UINT64_WARNING,
  finishOption,
  fromOctets,
  hasOption,
  optionById,
  optionDefaults,
  optionSpec,
  optionTable,
  toInt32,
  toInt64,
  toOctets,
  toUint32,
  toUint64,
  typeMismatch,
  type OptionSpec,
  type SocketOptions,
} from "../options.js"
import { AcceptFilter, validAcceptFilter } from "../transport/accept-filter.js"

/** zeromq.js's `securityMechanism` values, by libzmq's ZMQ_MECHANISM number. */
const MECHANISMS = [null, "plain", "curve", "gssapi"] as const

/** The argument checks of zeromq.js's native methods (its Arg::Validator): same order, same text. */
export function expectArgs(given: number, expected: number): void {
  if (given > expected) throw new TypeError(`Expected ${expected} argument${expected === 1 ? "" : "s"} but received ${given}`)
}

function checkId(id: unknown): asserts id is number {
  if (typeof id !== "number") throw new TypeError("Identifier must be a number")
}

/** How the generic accessors reach an option: a C int, eight octets, or octets. */
type Width = "int" | "wide" | "string"

function widthOf(spec: OptionSpec): Width {
  switch (spec.type) {
    case "bool":
    case "int32":
    case "uint32":
      return "int"
    case "int64":
    case "uint64":
      return "wide"
    default:
      return "string"
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER

/** String options libzmq holds as octets without a terminating 0x00. */
const BLOBS = new Set(["routingId", "connectRoutingId"])

/**
 * What libzmq makes of a generic accessor's value for an option of another width: it takes the
 * option's octets from the buffer it is given. A string option takes the four or eight octets of a
 * number (little-endian here, as on x86-64 and ARM); an int option takes a string of exactly four
 * octets, an eight-octet one of eight; anything else is EINVAL.
 */
function reinterpret(spec: OptionSpec, width: Width, value: number | bigint | Buffer | null): number | bigint | Buffer | null {
  const own = widthOf(spec)
  if (own === width) return value
  if (own === "string") {
    const b = Buffer.alloc(width === "int" ? 4 : 8)
    if (width === "int") b.writeInt32LE(value as number)
    else b.writeBigUInt64LE(BigInt.asUintN(64, value as bigint))
    return b
  }
  const b = value as Buffer | null
  if (width !== "string" || b === null || b.length !== (own === "int" ? 4 : 8)) throw zerr("EINVAL")
  return own === "int" ? b.readInt32LE(0) : b.readBigInt64LE(0)
}

abstract class Socket {
  /** ZMQ_ROUTING_ID. See {@link SocketOptions.routingId}. */
  declare routingId: string | null
  /** ZMQ_SNDHWM. See {@link SocketOptions.sendHighWaterMark}. */
  declare sendHighWaterMark: number
  /** ZMQ_RCVHWM. See {@link SocketOptions.receiveHighWaterMark}. */
  declare receiveHighWaterMark: number
  /** ZMQ_SNDTIMEO. See {@link SocketOptions.sendTimeout}. */
  declare sendTimeout: number
  /** ZMQ_RCVTIMEO. See {@link SocketOptions.receiveTimeout}. */
  declare receiveTimeout: number
  /** ZMQ_LINGER. See {@link SocketOptions.linger}. */
  declare linger: number
  /** ZMQ_IMMEDIATE. See {@link SocketOptions.immediate}. */
  declare immediate: boolean
  /** ZMQ_MAXMSGSIZE. See {@link SocketOptions.maxMessageSize}. */
  declare maxMessageSize: number
  /** ZMQ_RECONNECT_IVL. See {@link SocketOptions.reconnectInterval}. */
  declare reconnectInterval: number
  /** ZMQ_RECONNECT_IVL_MAX. See {@link SocketOptions.reconnectMaxInterval}. */
  declare reconnectMaxInterval: number
  /** ZMQ_CONNECT_TIMEOUT. See {@link SocketOptions.connectTimeout}. */
  declare connectTimeout: number
  /** ZMQ_HANDSHAKE_IVL. See {@link SocketOptions.handshakeInterval}. */
  declare handshakeInterval: number
  /** ZMQ_HEARTBEAT_IVL. See {@link SocketOptions.heartbeatInterval}. */
  declare heartbeatInterval: number
  /** ZMQ_HEARTBEAT_TIMEOUT. See {@link SocketOptions.heartbeatTimeout}. */
  declare heartbeatTimeout: number
  /** ZMQ_HEARTBEAT_TTL. See {@link SocketOptions.heartbeatTimeToLive}. */
  declare heartbeatTimeToLive: number
  /** ZMQ_PLAIN_SERVER. See {@link SocketOptions.plainServer}. */
  declare plainServer: boolean
  /** ZMQ_PLAIN_USERNAME. See {@link SocketOptions.plainUsername}. */
  declare plainUsername: string | null
  /** ZMQ_PLAIN_PASSWORD. See {@link SocketOptions.plainPassword}. */
  declare plainPassword: string | null
  /** ZMQ_CURVE_SERVER. See {@link SocketOptions.curveServer}. */
  declare curveServer: boolean
  /** ZMQ_CURVE_PUBLICKEY. See {@link SocketOptions.curvePublicKey}. */
  declare curvePublicKey: string | null
  /** ZMQ_CURVE_SECRETKEY. See {@link SocketOptions.curveSecretKey}. */
  declare curveSecretKey: string | null
  /** ZMQ_CURVE_SERVERKEY. See {@link SocketOptions.curveServerKey}. */
  declare curveServerKey: string | null
  /** ZMQ_ZAP_DOMAIN. See {@link SocketOptions.zapDomain}. */
  declare zapDomain: string | null
  /** ZMQ_AFFINITY. See {@link SocketOptions.affinity} (no effect in zmtp). */
  declare affinity: number
  /** ZMQ_RATE. See {@link SocketOptions.rate} (no effect in zmtp). */
  declare rate: number
  /** ZMQ_RECOVERY_IVL. See {@link SocketOptions.recoveryInterval} (no effect in zmtp). */
  declare recoveryInterval: number
  /** ZMQ_MULTICAST_HOPS. See {@link SocketOptions.multicastHops} (no effect in zmtp). */
  declare multicastHops: number
  /** ZMQ_MULTICAST_MAXTPDU. See {@link SocketOptions.multicastMaxTransportDataUnit} (no effect in zmtp). */
  declare multicastMaxTransportDataUnit: number
  /** ZMQ_SNDBUF. See {@link SocketOptions.sendBufferSize} (no effect in zmtp). */
  declare sendBufferSize: number
  /** ZMQ_RCVBUF. See {@link SocketOptions.receiveBufferSize} (no effect in zmtp). */
  declare receiveBufferSize: number
  /** ZMQ_BACKLOG. See {@link SocketOptions.backlog}. */
  declare backlog: number
  /** ZMQ_TCP_KEEPALIVE. See {@link SocketOptions.tcpKeepalive}. */
  declare tcpKeepalive: number
  /** ZMQ_TCP_KEEPALIVE_CNT. See {@link SocketOptions.tcpKeepaliveCount} (no effect in zmtp). */
  declare tcpKeepaliveCount: number
  /** ZMQ_TCP_KEEPALIVE_IDLE. See {@link SocketOptions.tcpKeepaliveIdle}. */
  declare tcpKeepaliveIdle: number
  /** ZMQ_TCP_KEEPALIVE_INTVL. See {@link SocketOptions.tcpKeepaliveInterval} (no effect in zmtp). */
  declare tcpKeepaliveInterval: number
  /** ZMQ_TCP_MAXRT. See {@link SocketOptions.tcpMaxRetransmitTimeout} (no effect in zmtp). */
  declare tcpMaxRetransmitTimeout: number
  /** ZMQ_TOS. See {@link SocketOptions.typeOfService} (no effect in zmtp). */
  declare typeOfService: number
  /** ZMQ_IPV6. See {@link SocketOptions.ipv6}. */
  declare ipv6: boolean
  /** ZMQ_LOOPBACK_FASTPATH. See {@link SocketOptions.loopbackFastPath} (no effect in zmtp). */
  declare loopbackFastPath: boolean
  /** ZMQ_TCP_ACCEPT_FILTER. See {@link SocketOptions.tcpAcceptFilter}. */
  declare tcpAcceptFilter: string | null
  /** ZMQ_SOCKS_PROXY. See {@link SocketOptions.socksProxy}. */
  declare socksProxy: string | null
  /** ZMQ_BINDTODEVICE. See {@link SocketOptions.interface} (refused unless null). */
  declare interface: string | null
  /** ZMQ_ZAP_ENFORCE_DOMAIN. See {@link SocketOptions.zapEnforceDomain}. */
  declare zapEnforceDomain: boolean
  /** ZMQ_VMCI_BUFFER_SIZE (no effect in zmtp; see {@link SocketOptions.vmciBufferSize}). */
  declare vmciBufferSize: number
  /** ZMQ_VMCI_BUFFER_MIN_SIZE (no effect in zmtp; see {@link SocketOptions.vmciBufferSize}). */
  declare vmciBufferMinSize: number
  /** ZMQ_VMCI_BUFFER_MAX_SIZE (no effect in zmtp; see {@link SocketOptions.vmciBufferSize}). */
  declare vmciBufferMaxSize: number
  /** ZMQ_VMCI_CONNECT_TIMEOUT (no effect in zmtp; see {@link SocketOptions.vmciBufferSize}). */
  declare vmciConnectTimeout: number

  /** This socket's type name. */
  protected abstract readonly typeName: SocketTypeName
  /** True once the socket is closed: setting an option then throws ENOTSOCK, as in zeromq.js. */
  abstract get closed(): boolean

  /** PLAIN, CURVE and ZAP settings; the mechanism follows the last one set, as in libzmq. */
  protected readonly security = new SecurityOptions()
  /** Option values in the form libzmq keeps them (octets for strings, bigint for uint64). */
  protected readonly opts: Record<string, unknown> = optionDefaults()
  /** ZMQ_TCP_ACCEPT_FILTER: the networks allowed to connect to the TCP listeners. */
  protected readonly acceptFilter = new AcceptFilter()
  /** ZMQ_LAST_ENDPOINT: the endpoint of the last bind or connect, resolved (`tcp://127.0.0.1:41234`), or null. */
  protected lastEndpointValue: string | null = null
  /** Endpoints bound or connected now (socket-peers.ts): zeromq.js warns about an option set while there are any. */
  abstract get endpointCount(): number
  /** Bind or unbind calls in flight (zeromq.js's "blocked" state, which warns too). Kept by socket-api.ts. */
  protected blockingCalls = 0
  private socketContext: Context = context
  private readonly observer = new Observer()

  /** The {@link Context} this socket was made in (zeromq.js `socket.context`). */
  get context(): Context {
    return this.socketContext
  }

  /** Socket events (zeromq.js names and payloads). */
  get events(): Observer {
    return this.observer
  }

  /** ZMQ_TYPE: libzmq's numeric socket type (read-only). */
  get type(): number {
    return socketTypeNumber[this.typeName]
  }

  /** ZMQ_LAST_ENDPOINT: the endpoint of the last bind or connect, resolved (`tcp://127.0.0.1:41234`), or null (read-only). */
  get lastEndpoint(): string | null {
    return this.lastEndpointValue
  }

  /** ZMQ_MECHANISM: the security mechanism new connections use (read-only; null is NULL). */
  get securityMechanism(): null | "plain" | "curve" | "gssapi" {
    return this.security.mechanism
  }

  /** ZMQ_THREAD_SAFE: false for every type zmtp has, as in libzmq (read-only). */
  get threadSafe(): boolean {
    return false
  }

  // ---- zeromq.js's generic accessors, keyed by libzmq option numbers -------------------------

  /** Reads an int option (ZMQ_IMMEDIATE = 39 ...) as a boolean: any non-zero value is true. */
  getBoolOption(id: number): boolean {
    checkId(id)
    expectArgs(arguments.length, 1)
    return (this.readRaw(id, "int") as number) !== 0
  }

  /** Sets an int option from a boolean (1 or 0). */
  setBoolOption(id: number, value: boolean): void {
    checkId(id)
    if (typeof value !== "boolean") throw new TypeError("Option value must be a boolean")
    expectArgs(arguments.length, 2)
    this.writeRaw(id, "int", value ? 1 : 0)
  }

  /** Reads an int option (ZMQ_SNDHWM = 23 ...). */
  getInt32Option(id: number): number {
    checkId(id)
    expectArgs(arguments.length, 1)
    return this.readRaw(id, "int") as number
  }

  /** Sets an int option; the number is converted as napi does (ToInt32). */
  setInt32Option(id: number, value: number): void {
    checkId(id)
    if (typeof value !== "number") throw new TypeError("Option value must be a number")
    expectArgs(arguments.length, 2)
    this.writeRaw(id, "int", toInt32(value))
  }

  /** Reads an int option as unsigned (ZMQ_TOS = 57 ...). */
  getUint32Option(id: number): number {
    checkId(id)
    expectArgs(arguments.length, 1)
    return toUint32(this.readRaw(id, "int") as number)
  }

  /** Sets an int option from an unsigned number (ToUint32; libzmq reads the octets as a C int). */
  setUint32Option(id: number, value: number): void {
    checkId(id)
    if (typeof value !== "number") throw new TypeError("Option value must be a number")
    expectArgs(arguments.length, 2)
    this.writeRaw(id, "int", toInt32(toUint32(value)))
  }

  /** Reads an eight-octet option (ZMQ_MAXMSGSIZE = 22 ...) as signed. */
  getInt64Option(id: number): number {
    checkId(id)
    expectArgs(arguments.length, 1)
    return Number(BigInt.asIntN(64, this.readRaw(id, "wide") as bigint))
  }

  /** Sets an eight-octet option from a signed number. */
  setInt64Option(id: number, value: number): void {
    checkId(id)
    if (typeof value !== "number") throw new TypeError("Option value must be a number")
    expectArgs(arguments.length, 2)
    this.writeRaw(id, "wide", toInt64(value))
  }

  /** Reads an eight-octet option (ZMQ_AFFINITY = 4 ...) as unsigned. */
  getUint64Option(id: number): number {
    checkId(id)
    expectArgs(arguments.length, 1)
    return Number(BigInt.asUintN(64, this.readRaw(id, "wide") as bigint))
  }

  /**
   * Sets an eight-octet option from an unsigned number (negative gives 0). A value above
   * Number.MAX_SAFE_INTEGER emits zeromq.js's warning that it may have been rounded.
   */
  setUint64Option(id: number, value: number): void {
    checkId(id)
    if (typeof value !== "number") throw new TypeError("Option value must be a number")
    expectArgs(arguments.length, 2)
    this.writeRaw(id, "wide", value, true)
  }

  /** Reads a string option (ZMQ_ROUTING_ID = 5 ...): null when unset, as in zeromq.js. */
  getStringOption(id: number): string | null {
    checkId(id)
    expectArgs(arguments.length, 1)
    return fromOctets(this.readRaw(id, "string") as Buffer | null)
  }

  /** Sets a string option from a string (UTF-8), a Buffer or other view (its octets), or null. */
  setStringOption(id: number, value: string | Buffer | null): void {
    checkId(id)
    if (typeof value !== "string" && value !== null && !ArrayBuffer.isView(value)) throw new TypeError("Option value must be a string or buffer")
    expectArgs(arguments.length, 2)
    this.writeRaw(id, "string", toOctets(value))
  }

  // ---- the option store --------------------------------------------------------------------

  /** The option a libzmq number names on this socket type, or EINVAL. */
  private specOf(id: number): [string, OptionSpec] {
    const name = optionById.get(id)
    if (name === undefined || !hasOption(name, this.typeName)) throw zerr("EINVAL")
    return [name, optionSpec(name)!]
  }

  /** An option as libzmq holds it: the C int, the 64 bits, or the octets. */
  private readRaw(id: number, width: Width): number | bigint | Buffer | null {
    const [name, spec] = this.specOf(id)
    if (spec.unsupported || spec.unreadable) throw zerr("EINVAL")
    // libzmq answers ZMQ_THREAD_SAFE into any buffer of at least four octets (do_getsockopt<int>).
    if (name === "threadSafe") return width === "int" ? 0 : width === "wide" ? 0n : Buffer.alloc(4)
    const own = widthOf(spec)
    const raw = this.rawValue(name, spec)
    if (own === width) return raw
    // libzmq copies a string option's octets into whatever buffer it is given, if they fit (an
    // int option's size must match exactly): getInt32Option(5) on routing id "ab" is 0x6261.
    if (own !== "string" || width === "string" || name.startsWith("curve")) throw zerr("EINVAL")
    const size = width === "int" ? 4 : 8
    const octets = raw === null ? Buffer.alloc(0) : (raw as Buffer)
    // A routing id is a blob; the others are C strings, copied with their terminating 0x00.
    const held = BLOBS.has(name) ? octets : Buffer.concat([octets, Buffer.alloc(1)])
    if (held.length > size) throw zerr("EINVAL")
    const b = Buffer.alloc(size)
    held.copy(b)
    return width === "int" ? b.readInt32LE(0) : b.readBigInt64LE(0)
  }

  /** An option as libzmq holds it in its own width: the C int, the 64 bits, or the octets. */
  private rawValue(name: string, spec: OptionSpec): number | bigint | Buffer | null {
    switch (name) {
      case "type":
        return this.type
      case "securityMechanism":
        return MECHANISMS.indexOf(this.security.mechanism)
      case "threadSafe":
        return 0
      case "lastEndpoint":
        return toOctets(this.lastEndpointValue)
      case "plainServer":
        return this.security.plainServer ? 1 : 0
      case "curveServer":
        return this.security.curveServer ? 1 : 0
      case "curvePublicKey":
      case "curveSecretKey":
      case "curveServerKey":
        return toOctets(this.security[name])
    }
    const v = this.opts[name]
    switch (spec.type) {
      case "bool":
        return v ? 1 : 0
      case "int64":
        // Held as a number; at the top of the range that is 2^63, which libzmq holds as 2^63 - 1.
        return (v as number) >= 2 ** 63 ? (1n << 63n) - 1n : BigInt(v as number)
      default:
        return v as number | bigint | Buffer | null
    }
  }

  /**
   * Sets an option from what a generic accessor gave (the C int, a number for eight octets, or
   * octets), in zeromq.js's order: the late-option warning, then ENOTSOCK, then libzmq's checks.
   */
  private writeRaw(id: number, width: Width, given: number | bigint | Buffer | null, unsigned = false): void {
    const spec = optionById.has(id) ? optionSpec(optionById.get(id)!) : undefined
    if (!spec?.immediate && (this.closed || this.endpointCount > 0 || this.blockingCalls > 0)) process.emitWarning(LATE_OPTION_WARNING)
    let value = given
    if (unsigned) {
      // zeromq.js converts (and warns) before libzmq looks at the option.
      if ((value as number) > MAX_SAFE) process.emitWarning(UINT64_WARNING)
      value = toUint64(value as number)
    }
    if (this.closed) throw zerr("ENOTSOCK")
    const [name] = this.specOf(id)
    if (spec!.readOnly || spec!.unsupported) throw zerr("EINVAL")
    this.store(name, spec!, reinterpret(spec!, width, value))
  }

  /** Converts a C int, 64 bits or octets into the option's own form, checks it as libzmq does, keeps it. */
  private store(name: string, spec: OptionSpec, raw: number | bigint | Buffer | null): void {
    let v: unknown = raw
    switch (spec.type) {
      case "bool": {
        const n = raw as number
        // libzmq: most bool options take only 0 or 1; some any int >= 0, two any int at all.
        const ok = spec.relaxed === undefined ? n === 0 || n === 1 : spec.relaxed === "any" || n >= 0
        if (!ok) throw zerr("EINVAL")
        v = n !== 0
        break
      }
      case "int64":
        v = Number(BigInt.asIntN(64, raw as bigint))
        break
      case "uint64":
        v = BigInt.asUintN(64, raw as bigint)
        break
      case "string":
        if (name === "tcpAcceptFilter" && raw !== null && !validAcceptFilter((raw as Buffer).toString("latin1"), this.opts.ipv6 as boolean)) throw zerr("EINVAL")
        break
    }
    v = finishOption(spec, v, this.typeName)
    switch (name) {
      case "xpubVerbose":
        // libzmq's xpub_t: VERBOSE sets the subscriptions' verbosity and clears the cancellations'.
        this.opts.xpubVerbose = v
        this.opts.xpubVerboser = false
        return
      case "xpubVerboser":
        this.opts.xpubVerbose = v
        this.opts.xpubVerboser = v
        return
      case "subscription":
      case "unsubscription":
        return this.subscriptionOption(name === "subscription", v === null ? Buffer.alloc(0) : (v as Buffer))
      case "plainServer":
        return this.security.setPlainServer(v as boolean)
      case "curveServer":
        return this.security.setCurveServer(v as boolean)
      case "plainUsername":
      case "plainPassword":
        // The octets are kept too (opts), so that they read back as set, as libzmq's do.
        this.security.setPlainCredential(name, v === null ? null : (v as Buffer).toString("utf8"))
        break
      case "curvePublicKey":
      case "curveSecretKey":
      case "curveServerKey":
        // 32 octets, or 40 Z85 characters (41 with a terminating 0x00); toKey checks the Z85.
        return this.security.setCurveKey(name, v as Buffer)
      case "zapDomain":
        this.security.zapDomain = (v as Buffer).toString("utf8")
        break
      case "tcpAcceptFilter":
        if (v === null) this.acceptFilter.clear()
        else this.acceptFilter.add((v as Buffer).toString("latin1"))
        return
    }
    this.opts[name] = v
  }

  /** ZMQ_SUBSCRIBE / ZMQ_UNSUBSCRIBE (SUB, and XPUB in manual mode): `topic` is the octets given. */
  protected subscriptionOption(_subscribe: boolean, _topic: Buffer): void {
    throw zerr("EINVAL")
  }

  /** @internal The property's read: the option in its JS type. */
  readOption(name: string): unknown {
    const spec = optionSpec(name)!
    const raw = this.readRaw(spec.id, widthOf(spec))
    switch (spec.type) {
      case "bool":
        return raw !== 0
      case "int32":
        return raw
      case "uint32":
        return toUint32(raw as number)
      case "int64":
        return Number(BigInt.asIntN(64, raw as bigint))
      case "uint64":
        return Number(BigInt.asUintN(64, raw as bigint))
      default:
        return fromOctets(raw as Buffer | null)
    }
  }

  /** @internal The property's write: the TypeError for a wrong JS type, then as the matching generic accessor. */
  writeOption(name: string, value: unknown): void {
    const spec = optionSpec(name)!
    const bad = typeMismatch(spec.type, value)
    if (bad) throw bad
    switch (spec.type) {
      case "bool":
        return this.writeRaw(spec.id, "int", value ? 1 : 0)
      case "int32":
        return this.writeRaw(spec.id, "int", toInt32(value as number))
      case "uint32":
        return this.writeRaw(spec.id, "int", toInt32(toUint32(value as number)))
      case "int64":
        return this.writeRaw(spec.id, "wide", toInt64(value as number))
      case "uint64":
        return this.writeRaw(spec.id, "wide", value as number, true)
      default:
        return this.writeRaw(spec.id, "string", toOctets(value as string | ArrayBufferView | null))
    }
  }

  // ---- construction ------------------------------------------------------------------------

  /**
   * The constructor's options, as zeromq.js takes them: not an object is a TypeError; `context`
   * first (its `blocky` decides the default linger, which an explicit `linger` then overrides); then
   * the socket is sealed and the other own enumerable properties are assigned in order, as by
   * Object.assign, so that an unknown name is "Cannot add property foo, object is not extensible", a
   * read-only one "Cannot set property type of #<Socket> which has only a getter", and a bad value
   * the option's own error. Called by each socket type's constructor, after its fields exist.
   */
  protected applyOptions(options: unknown): void {
    if (options !== undefined && (options === null || (typeof options !== "object" && typeof options !== "function"))) {
      throw new TypeError("Options must be an object")
    }
    const given = (options ?? {}) as Record<PropertyKey, unknown>
    // zeromq.js: a context that is not a Context fails libzmq's unwrap ("Invalid argument").
    // An undefined one is taken as none (zeromq.js refuses it too).
    const ctx = "context" in given ? given.context : undefined
    if (ctx !== undefined) {
      if (!(ctx instanceof Context)) throw zerr("EINVAL")
      this.socketContext = ctx
    }
    this.opts.linger = this.socketContext.defaultLinger
    // libzmq's socket_base_t starts ZMQ_IPV6 at the context's.
    this.opts.ipv6 = this.socketContext.ipv6
    this.seal()
    for (const k of Reflect.ownKeys(given)) {
      if (k === "context" || !Object.prototype.propertyIsEnumerable.call(given, k)) continue
      // The socket's own fields are its state, not options: zeromq.js has none, so for it any such
      // name is unknown.
      // A name that is no option (nor anything else of a socket) would be refused by the seal, in
      // each engine's words; zeromq.js's are thrown here instead.
      if (Object.prototype.hasOwnProperty.call(this, k) || !(k in this)) throw unknownOptionError(k)
      ;(this as Record<PropertyKey, unknown>)[k] = given[k]
    }
    // Counted against the context's maxSockets (EMFILE), and waited for at exit while it lingers.
    this.socketContext.attach(this as unknown as LingeringSocket)
  }

  /**
   * zeromq.js seals its sockets, so that a misspelt option throws instead of being ignored. The own
   * fields (state) are made non-enumerable first: a socket shows no own properties, as zeromq.js's.
   */
  private seal(): void {
    for (const k of Reflect.ownKeys(this)) Object.defineProperty(this, k, { enumerable: false })
    Object.seal(this)
  }
}

/**
 * Puts a property per named option on a socket prototype: reading converts as zeromq.js does,
 * assigning checks as zeromq.js and libzmq do (TypeError for the wrong JS type, EINVAL for a refused
 * value, ENOTSOCK once closed) and keeps the old value when it throws.
 */
export function defineOptions(proto: object, names: readonly string[]): void {
  for (const name of names) {
    Object.defineProperty(proto, name, {
      configurable: true,
      enumerable: false,
      get(this: Socket) {
        return this.readOption(name)
      },
      set(this: Socket, v: unknown) {
        this.writeOption(name, v)
      },
    })
  }
}

/** The options every socket type has (the table's rows without `only`, but the read-only ones). */
const commonOptions = Object.entries(optionTable)
  .filter(([, spec]) => !(spec as OptionSpec).readOnly && (spec as OptionSpec).only === undefined)
  .map(([name]) => name)

defineOptions(Socket.prototype, commonOptions)

// Read-only methods, as zeromq.js's native ones (see socket-api.ts).
for (const type of ["Bool", "Int32", "Uint32", "Int64", "Uint64", "String"]) {
  for (const name of [`get${type}Option`, `set${type}Option`]) Object.defineProperty(Socket.prototype, name, { writable: false })
}

export { Socket as SocketOptionsBase }
export type { SocketOptions }
