/**
 * What DEALER and REQ share: every pipe joins a round-robin over the peers with room (RFC 28:
 * "SHALL route outgoing messages to available peers using a round-robin strategy").
 */
import type { Pipe } from "../pipe/pipe.js"
import { LoadBalancer } from "../routing/load-balancer.js"
import { SocketApi } from "./socket-api.js"

export abstract class RoundRobinSocket extends SocketApi {
  protected readonly lb = new LoadBalancer()

  protected override pipeAdded(p: Pipe): void {
    this.lb.add(p)
  }

  protected override pipeRemoved(p: Pipe): void {
    this.lb.remove(p)
  }
}
