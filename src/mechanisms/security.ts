/**
 * The security options of a socket (ZMQ_PLAIN_*, ZMQ_CURVE_*, ZMQ_ZAP_DOMAIN) and the mechanism they
 * select for each new connection. As in libzmq's options_t, the mechanism is whichever of them was
 * set last: plainServer or curveServer makes a server, plainUsername/plainPassword a PLAIN client,
 * curveServerKey a CURVE client, and any CURVE key selects CURVE.
 */
import { zerr } from "../errors.js"
import { CurveClient, CurveServer } from "./curve.js"
import { toKey } from "./curve-keys.js"
import type { Mechanism } from "./mechanism.js"
import { NullMechanism } from "./null.js"
import { PlainClient, PlainServer } from "./plain.js"
import type { ZapContext } from "./zap.js"
import { z85Encode } from "./z85.js"

/** zeromq.js's `securityMechanism` values. */
export type SecurityMechanism = null | "plain" | "curve"

export class SecurityOptions {
  mechanism: SecurityMechanism = null
  asServer = false
  plainUsername: string | null = null
  plainPassword: string | null = null
  curvePublicKey: string | null = null
  curveSecretKey: string | null = null
  curveServerKey: string | null = null
  zapDomain = ""

  get plainServer(): boolean {
    return this.mechanism === "plain" && this.asServer
  }

  get curveServer(): boolean {
    return this.mechanism === "curve" && this.asServer
  }

  setPlainServer(v: boolean): void {
    this.asServer = v
    this.mechanism = v ? "plain" : null
  }

  setCurveServer(v: boolean): void {
    this.asServer = v
    this.mechanism = v ? "curve" : null
  }

  setPlainCredential(which: "plainUsername" | "plainPassword", v: string | null): void {
    this[which] = v
    if (v === null) {
      if (which === "plainUsername") this.mechanism = null
      return
    }
    this.asServer = false
    this.mechanism = "plain"
  }

  setCurveKey(which: "curvePublicKey" | "curveSecretKey" | "curveServerKey", v: string | Uint8Array | null): void {
    if (v === null) {
      this[which] = null
      return
    }
    this[which] = z85Encode(toKey(v, which))
    if (which === "curveServerKey") this.asServer = false
    this.mechanism = "curve"
  }

  /** The mechanism for a new connection; throws EINVAL when CURVE lacks a key. */
  create(props: ReadonlyArray<readonly [string, Buffer | string]>, zap: ZapContext): Mechanism {
    switch (this.mechanism) {
      case "plain":
        return this.asServer ? new PlainServer(props, zap) : new PlainClient(props, this.plainUsername ?? "", this.plainPassword ?? "")
      case "curve":
        if (this.asServer) {
          if (!this.curveSecretKey) throw zerr("EINVAL", "a CURVE server needs curveSecretKey")
          return new CurveServer(props, toKey(this.curveSecretKey), zap)
        }
        if (!this.curveServerKey || !this.curvePublicKey || !this.curveSecretKey) {
          throw zerr("EINVAL", "a CURVE client needs curveServerKey, curvePublicKey and curveSecretKey")
        }
        return new CurveClient(props, toKey(this.curvePublicKey), toKey(this.curveSecretKey), toKey(this.curveServerKey))
      default:
        // NULL asks the ZAP handler only when zapDomain is set (libzmq 4.3 zap_required()).
        return new NullMechanism(props, zap)
    }
  }
}
