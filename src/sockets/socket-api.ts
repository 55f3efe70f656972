/**
 * The public methods' argument checks, as zeromq.js's native methods make them (its Arg::Validator):
 * synchronous TypeErrors with its text ("Address must be a string", "Message must be present",
 * "Expected 1 argument but received 2"), before anything else happens, even on a closed socket.
 * Also the endpoint count zeromq.js keeps to warn about options set after bind or connect (see
 * socket-options.ts). Every socket type extends this class; the behaviour is in socket-base.ts and
 * socket-peers.ts.
 */
import { zerr } from "../errors.js"
import type { Message } from "./message.js"
import { SocketBase } from "./socket-base.js"
import { expectArgs } from "./socket-options.js"
import type { BindOptions } from "../transport/ws.js"

function checkAddress(address: unknown): void {
  if (typeof address !== "string") throw new TypeError("Address must be a string")
}

export abstract class SocketApi extends SocketBase {

  /** True for a type whose connect() takes options (ROUTER's `routingId`). */
  protected get connectTakesOptions(): boolean {
    return false
  }

  /**
   * Binds to an endpoint (`tcp://127.0.0.1:*`, `ipc:///tmp/x.sock`, `ipc://@name`, `inproc://name`,
   * `ws://127.0.0.1:8080/zmq`). A ws or wss endpoint takes options: `{ server }` binds its path on
   * an application's http.Server or https.Server (one port for a page and its sockets).
   */
  override bind(address: string, options?: BindOptions): Promise<void> {
    checkAddress(address)
    // zeromq.js's bind takes one argument; the options are zmtp's, for WebSocket endpoints only.
    expectArgs(arguments.length, /^wss?:\/\//.test(address) ? 2 : 1)
    // In flight, the socket is what zeromq.js calls blocked: options set now warn.
    this.blockingCalls++
    return super.bind(address, options).then(
      () => {
        this.blockingCalls--
      },
      (e: unknown) => {
        this.blockingCalls--
        throw e
      },
    )
  }

  /** Stops listening on an endpoint (the resolved one, or the string given to bind()). */
  override unbind(address: string): Promise<void> {
    checkAddress(address)
    expectArgs(arguments.length, 1)
    this.blockingCalls++
    return super.unbind(address).then(
      () => {
        this.blockingCalls--
      },
      (e: unknown) => {
        this.blockingCalls--
        throw e
      },
    )
  }

  /** Connects to an endpoint; the connection is made (and remade) in the background. */
  override connect(address: string, options?: { routingId?: string }): void {
    checkAddress(address)
    expectArgs(arguments.length, this.connectTakesOptions ? 2 : 1)
    super.connect(address, options)
  }

  /** Stops connecting to an endpoint, closes its connection and drops what was queued for it. */
  override disconnect(address: string): void {
    checkAddress(address)
    expectArgs(arguments.length, 1)
    super.disconnect(address)
  }

  /** Sends a message (one frame or an array of frames); see {@link SocketBase.send}. */
  override send(message: Message): Promise<void> {
    if (message === undefined) throw new TypeError("Message must be present")
    expectArgs(arguments.length, 1)
    return super.send(message)
  }

  /** Resolves to the next message; see {@link SocketBase.receive}. */
  override receive(): Promise<Buffer[]> {
    expectArgs(arguments.length, 0)
    return super.receive()
  }

  /**
   * zeromq.js's DRAFT `join()` for RADIO/DISH groups, present on every socket as there: for the types
   * zmtp has it is not supported (ENOTSUP, as libzmq answers). Each group is checked in turn.
   */
  join(...groups: (string | Buffer)[]): void {
    for (const g of groups) this.checkGroup(g)
  }

  /** zeromq.js's DRAFT `leave()`; see {@link join}. */
  leave(...groups: (string | Buffer)[]): void {
    for (const g of groups) this.checkGroup(g)
  }

  private checkGroup(g: unknown): never {
    if (this.closed) throw zerr("EBADF")
    if (typeof g !== "string" && !ArrayBuffer.isView(g)) throw new TypeError("Value must be a string or buffer")
    throw zerr("ENOTSUP")
  }

  /** Closes the socket; see {@link SocketBase.close}. */
  override close(): void {
    expectArgs(arguments.length, 0)
    super.close()
  }
}

// zeromq.js's native methods are read-only properties: assigning one throws "Cannot assign to read
// only property 'send' of object '#<Dealer>'" (ROUTER's connect is a JavaScript method there, and
// here: writable).
for (const name of ["bind", "unbind", "connect", "disconnect", "send", "receive", "close", "join", "leave"]) {
  Object.defineProperty(SocketApi.prototype, name, { writable: false })
}
