/**
 * The option surface every socket shares: zeromq.js's option properties (checked accessors from the
 * declarative table in options.ts) and the security options, whose setters also choose the mechanism
 * as libzmq's do. Behaviour lives in socket-peers.ts and socket-base.ts.
 */
import { Context, context } from "../context.js"
import type { LingeringSocket } from "../lifetime.js"
import { zerr } from "../errors.js"
import { SecurityOptions, type SecurityMechanism } from "../mechanisms/security.js"
import { checkOption, commonOptions, defineOptions, optionDefaults, optionTable, type SocketOptions } from "../options.js"

export abstract class SocketOptionsBase {
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
  /** ZMQ_PROBE_ROUTER. See {@link SocketOptions.probeRouter}. */
  declare probeRouter: boolean
  /** ZMQ_CONNECT_ROUTING_ID. See {@link SocketOptions.connectRoutingId}. */
  declare connectRoutingId: string | null

  /** PLAIN, CURVE and ZAP settings; the mechanism follows the last one set, as in libzmq. */
  protected readonly security = new SecurityOptions()
  /** ZMQ_PLAIN_SERVER. See {@link SocketOptions.plainServer}. */
  get plainServer(): boolean { return this.security.plainServer }
  set plainServer(v: boolean) { this.assertOptionsOpen(); this.security.setPlainServer(checkOption("plainServer", v) as boolean) }
  /** ZMQ_PLAIN_USERNAME. See {@link SocketOptions.plainUsername}. */
  get plainUsername(): string | null { return this.security.plainUsername }
  set plainUsername(v: string | null) { this.assertOptionsOpen(); this.security.setPlainCredential("plainUsername", checkOption("plainUsername", v) as string | null) }
  /** ZMQ_PLAIN_PASSWORD. See {@link SocketOptions.plainPassword}. */
  get plainPassword(): string | null { return this.security.plainPassword }
  set plainPassword(v: string | null) { this.assertOptionsOpen(); this.security.setPlainCredential("plainPassword", checkOption("plainPassword", v) as string | null) }
  /** ZMQ_CURVE_SERVER. See {@link SocketOptions.curveServer}. */
  get curveServer(): boolean { return this.security.curveServer }
  set curveServer(v: boolean) { this.assertOptionsOpen(); this.security.setCurveServer(checkOption("curveServer", v) as boolean) }
  /** ZMQ_CURVE_PUBLICKEY. See {@link SocketOptions.curvePublicKey}. */
  get curvePublicKey(): string | null { return this.security.curvePublicKey }
  set curvePublicKey(v: string | Uint8Array | null) { this.assertOptionsOpen(); this.security.setCurveKey("curvePublicKey", v) }
  /** ZMQ_CURVE_SECRETKEY. See {@link SocketOptions.curveSecretKey}. */
  get curveSecretKey(): string | null { return this.security.curveSecretKey }
  set curveSecretKey(v: string | Uint8Array | null) { this.assertOptionsOpen(); this.security.setCurveKey("curveSecretKey", v) }
  /** ZMQ_CURVE_SERVERKEY. See {@link SocketOptions.curveServerKey}. */
  get curveServerKey(): string | null { return this.security.curveServerKey }
  set curveServerKey(v: string | Uint8Array | null) { this.assertOptionsOpen(); this.security.setCurveKey("curveServerKey", v) }
  /** ZMQ_ZAP_DOMAIN. See {@link SocketOptions.zapDomain}. */
  get zapDomain(): string { return this.security.zapDomain }
  set zapDomain(v: string) { this.assertOptionsOpen(); this.security.zapDomain = (checkOption("zapDomain", v) as string | null) ?? "" }
  /** ZMQ_MECHANISM: the security mechanism new connections use (zeromq.js `securityMechanism`). */
  get securityMechanism(): SecurityMechanism { return this.security.mechanism }

  /** Option values; read and written through the accessors {@link defineOptions} puts on the prototypes. */
  protected readonly opts: Record<string, unknown> = optionDefaults()

  private socketContext: Context = context

  /** The {@link Context} this socket was made in (zeromq.js `socket.context`). */
  get context(): Context {
    return this.socketContext
  }

  /**
   * Sets options from an object, checking each (zeromq.js constructor semantics). `context` is
   * taken first: its `blocky` decides the default linger, which an explicit `linger` then overrides.
   */
  protected applyOptions(options: object): void {
    const given = options as { context?: unknown }
    if (given.context !== undefined) {
      if (!(given.context instanceof Context)) throw zerr("EINVAL", "option context must be a Context")
      this.socketContext = given.context
    }
    this.opts.linger = this.socketContext.defaultLinger
    for (const [k, v] of Object.entries(options)) {
      if (k === "context") continue
      if (!(k in optionTable) || !(k in this)) throw zerr("EINVAL", `unknown option ${JSON.stringify(k)} for this socket type`)
      ;(this as Record<string, unknown>)[k] = v
    }
    // Counted against the context's maxSockets (EMFILE), and waited for at exit while it lingers.
    this.socketContext.attach(this as unknown as LingeringSocket)
  }

  /** True once the socket is closed: options then throw ENOTSOCK, as in zeromq.js. */
  abstract get closed(): boolean

  protected assertOptionsOpen(): void {
    if (this.closed) throw zerr("ENOTSOCK")
  }
}

defineOptions(SocketOptionsBase.prototype, commonOptions)

export type { SocketOptions }
