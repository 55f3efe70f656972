/**
 * zeromq.js's `Socket`: the base every socket type extends (`sock instanceof Socket`), and a
 * constructor of its own, `new Socket(type, options)`, which makes a socket of libzmq's numeric
 * type. zmtp's socket types are classes, so `new Socket(5)` makes a {@link Dealer} (3 a Request, 4
 * a Reply, 6 a Router); a type zmtp does not have is EINVAL, as libzmq answers a type it does not
 * know. The arguments are checked as zeromq.js checks them, with its TypeErrors.
 *
 * It is a function, not a class, so that calling it without `new` gives the message zeromq.js's
 * native class gives ("Class constructors cannot be invoked without 'new'").
 */
import { zerr } from "../errors.js"
import { Dealer } from "./dealer.js"
import { Reply } from "./reply.js"
import { Request } from "./request.js"
import { Router } from "./router.js"
import { SocketApi } from "./socket-api.js"
import { SocketBase } from "./socket-base.js"
import { expectArgs } from "./socket-options.js"

const byType: Record<number, new (options?: object) => SocketBase> = { 3: Request, 4: Reply, 5: Dealer, 6: Router }

/** The constructor's shape: abstract as a base class, constructible with a type number. */
type SocketConstructor = typeof SocketBase & (new (type: number, options?: object) => SocketBase)

const Socket = function Socket(this: unknown, type?: unknown, options?: unknown): SocketBase {
  if (!new.target) throw new TypeError("Class constructors cannot be invoked without 'new'")
  if (typeof type !== "number") throw new TypeError("Socket type must be a number")
  if (options !== undefined && (options === null || (typeof options !== "object" && typeof options !== "function"))) {
    throw new TypeError("Options must be an object")
  }
  expectArgs(arguments.length, 2)
  const T = byType[type]
  // A subclass of the bare Socket (`class X extends Socket { constructor() { super(5) } }`) cannot
  // become a DEALER: zmtp's types are classes of their own. Extend Dealer instead.
  if (T === undefined || new.target !== Socket) throw zerr("EINVAL")
  return new T(options)
} as unknown as SocketConstructor

// SocketApi's prototype, which every socket type inherits: it holds what zeromq.js's native Socket
// has on its prototype (join, leave and the argument-checking send, receive, close).
Socket.prototype = SocketApi.prototype
Object.setPrototypeOf(Socket, SocketApi)

type Socket = SocketBase

export { Socket }
