/** Shared pieces of the RPC tests: a broker plus servers on fresh endpoints, torn down afterwards. */
import { afterEach } from "vitest"
import { Broker, RpcServer, type Handler, type RpcServerOptions } from "../../src/rpc/index.js"
import { cleanupIpc, ipcEndpoint } from "../helpers.js"

export { cleanupIpc, ipcEndpoint }

/**
 * For a test file: returns `track`, which registers anything with a (possibly async) close to be
 * closed after each test, newest first; ipc files are removed too.
 */
export function closeAfterEachAsync(): <T extends { close(): unknown }>(o: T) => T {
  let open: { close(): unknown }[] = []
  afterEach(async () => {
    for (const o of open.reverse()) await o.close()
    open = []
    cleanupIpc()
  })
  return (o) => {
    open.push(o)
    return o
  }
}

export interface Rig {
  broker: Broker
  servers: RpcServer[]
  close(): Promise<void>
}

/** A broker (tcp frontend on an ephemeral port, ipc backend) with `count` servers connected to it. */
export async function rig(handlers: Record<string, Handler>, count = 1, options: Partial<RpcServerOptions> = {}): Promise<Rig> {
  const broker = await Broker.start({ frontend: "tcp://127.0.0.1:*", backend: ipcEndpoint() })
  const servers: RpcServer[] = []
  for (let i = 0; i < count; i++) {
    const s = new RpcServer(handlers, options)
    s.connect(broker.backends.default!)
    servers.push(s)
  }
  return {
    broker,
    servers,
    async close() {
      for (const s of servers) await s.close()
      await broker.close()
    },
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
