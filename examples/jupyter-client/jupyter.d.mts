// Types of jupyter.mjs, for TypeScript callers (interop/jupyter.test.ts). The module shape it needs
// is the part of zeromq.js v6 the client uses, so both "zeromq" and "zmtp" satisfy it.
import type { ChildProcess } from "node:child_process"
import type { EventEmitter } from "node:events"

type Frames = Buffer[]

interface ZmqSocketLike extends AsyncIterable<Frames> {
  readonly closed: boolean
  connect(endpoint: string): void
  send(message: Buffer | Buffer[]): Promise<void>
  receive(): Promise<Frames>
  close(): void
  readonly events: { on(type: "handshake", listener: (event: unknown) => void): unknown }
}

/** What the client needs of the ZeroMQ module: `import * as zmq from "zeromq"` or `from "zmtp"`. */
export interface ZmqModule {
  Dealer: new (options?: { routingId?: string }) => ZmqSocketLike
  Subscriber: new () => ZmqSocketLike & { subscribe(...prefixes: (string | Buffer)[]): void }
  Request: new () => ZmqSocketLike
}

/** A kernel's connection file (jupyter_client's "connection info"). */
export interface ConnectionInfo {
  shell_port: number
  iopub_port: number
  stdin_port: number
  control_port: number
  hb_port: number
  ip: string
  key: string
  transport: "tcp" | "ipc"
  signature_scheme: string
  kernel_name?: string
}

export interface Header {
  msg_id: string
  session: string
  username: string
  date: string
  msg_type: string
  version: string
}

/** A decoded message (messaging spec, "General Message Format"). */
export interface Message<C = Record<string, any>> {
  identities: Frames
  header: Header
  parent_header: Partial<Header>
  metadata: Record<string, any>
  content: C
  buffers: Frames
  /** The channel it arrived on. */
  channel?: "shell" | "control" | "stdin" | "iopub"
  /** For iopub: the topic frame. */
  topic?: string
}

/** A reply, with every iopub message whose parent was the request, in arrival order. */
export interface Outcome {
  reply: Message
  iopub: Message[]
}

export declare const DELIMITER: string
export declare const PROTOCOL_VERSION: string
export declare function sign(key: string, scheme: string | undefined, frames: Buffer[]): string
export declare function serialize(
  msg: Partial<Omit<Message, "header">> & { header: Header },
  key: string,
  scheme?: string,
): Frames
export declare function deserialize(frames: Frames, key: string, scheme?: string): Message
export declare function endpoint(info: ConnectionInfo, port: number): string

export declare class JupyterClient extends EventEmitter {
  constructor(zmq: ZmqModule, info: ConnectionInfo, options?: { session?: string; username?: string })
  readonly session: string
  readonly username: string
  readonly shell: ZmqSocketLike
  readonly control: ZmqSocketLike
  readonly stdin: ZmqSocketLike
  readonly iopub: ZmqSocketLike
  heartbeat: ZmqSocketLike
  /** How many received messages were dropped (bad signature, not a Jupyter message). */
  invalid: number
  connect(): void
  ready(options?: { timeout?: number; retryEvery?: number }): Promise<Outcome>
  kernelInfo(): Promise<Outcome>
  /**
   * execute_request; resolves at its execute_reply and iopub `status: idle`. `onInput` answers
   * input_request over stdin; if it throws, the kernel gets end of input and the request rejects.
   */
  execute(
    code: string,
    options?: {
      onInput?: (prompt: string, password: boolean) => string | Promise<string>
      silent?: boolean
      storeHistory?: boolean
      userExpressions?: Record<string, string>
      allowStdin?: boolean
      stopOnError?: boolean
    },
  ): Promise<Outcome>
  shutdown(options?: { restart?: boolean }): Promise<Outcome>
  ping(timeout?: number): Promise<boolean>
  close(): Promise<void>
}

export declare function freePort(host?: string): Promise<number>

export interface Kernel {
  info: ConnectionInfo
  connectionFile: string
  dir: string
  process: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  output(): string
  stop(options?: { grace?: number }): Promise<void>
}

export declare function startKernel(options?: {
  python?: string
  transport?: "tcp" | "ipc"
  ip?: string
  ports?: Partial<Pick<ConnectionInfo, "shell_port" | "iopub_port" | "stdin_port" | "control_port" | "hb_port">>
  key?: string
}): Promise<Kernel>
