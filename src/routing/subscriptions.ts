/**
 * Subscription matching for publish-subscribe (RFC 29: PUB and XPUB "SHALL perform a binary
 * comparison of the subscription against the start of the first frame of the message"; SUB and XSUB
 * "filter messages according to subscriptions, using a prefix match algorithm"). Pure: no sockets,
 * no timers.
 *
 * {@link PrefixTrie} is a path-compressed byte trie: matching a message walks its first frame once,
 * whatever the number of subscriptions, so 10,000 subscriptions cost a publisher about what one
 * does, and a node is made per branch point rather than per octet (at most two nodes per stored
 * prefix). On it sit the two structures libzmq has:
 *
 * - {@link CountedSubscriptions} (SUB, XSUB; libzmq's `trie_t`): a reference count per prefix, so that
 *   after two `subscribe("x")` it takes two `unsubscribe("x")` to stop.
 * - {@link PeerSubscriptions} (PUB, XPUB; libzmq's `mtrie_t`): the set of peers subscribed to each
 *   prefix. A peer is in a prefix's set once however often it subscribed (its SUB did the counting).
 *   A peer may hold at most {@link MAX_PEER_SUBSCRIPTIONS} prefixes of at most
 *   {@link MAX_PEER_SUBSCRIPTION_OCTETS} octets in all: a subscriber cannot make the publisher hold
 *   more (DESIGN "Budgets, not hopes"); what it asks beyond that is ignored.
 */
import { Buffer } from "node:buffer"

/** Most distinct prefixes one peer may hold at a publisher; further subscriptions are ignored. */
export const MAX_PEER_SUBSCRIPTIONS = 65_536
/** Most octets the prefixes of one peer may add up to at a publisher; further subscriptions are ignored. */
export const MAX_PEER_SUBSCRIPTION_OCTETS = 4 * 1024 * 1024

class Node<V> {
  /** Children, sorted by the first octet of their segment (no two share it). */
  kids: Node<V>[] | undefined = undefined
  value: V | undefined = undefined
  constructor(
    /** The octets on the edge from the parent (empty only at the root). */
    public seg: Buffer,
  ) {}
}

const EMPTY = Buffer.alloc(0)

/** Index of the child whose segment starts with `c`, or -(insertion point) - 1. */
function findKid<V>(kids: Node<V>[], c: number): number {
  let lo = 0
  let hi = kids.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const m = kids[mid]!.seg[0]!
    if (m === c) return mid
    if (m < c) lo = mid + 1
    else hi = mid - 1
  }
  return -lo - 1
}

/** A map from byte strings to values that finds every stored key that is a prefix of some data. */
export class PrefixTrie<V> {
  private readonly root = new Node<V>(EMPTY)
  private count = 0

  /** Keys stored. */
  get size(): number {
    return this.count
  }

  get(key: Buffer): V | undefined {
    let node = this.root
    let i = 0
    for (;;) {
      if (i === key.length) return node.value
      const kids = node.kids
      if (!kids) return undefined
      const k = findKid(kids, key[i]!)
      if (k < 0) return undefined
      const kid = kids[k]!
      const seg = kid.seg
      if (key.length - i < seg.length) return undefined
      for (let j = 1; j < seg.length; j++) if (seg[j] !== key[i + j]) return undefined
      node = kid
      i += seg.length
    }
  }

  /** Stores `value` under `key` (the key's octets are copied). */
  set(key: Buffer, value: V): void {
    let node = this.root
    let i = 0
    for (;;) {
      if (i === key.length) {
        if (node.value === undefined) this.count++
        node.value = value
        return
      }
      const kids = (node.kids ??= [])
      const k = findKid(kids, key[i]!)
      if (k < 0) {
        const leaf = new Node<V>(Buffer.from(key.subarray(i)))
        leaf.value = value
        kids.splice(-k - 1, 0, leaf)
        this.count++
        return
      }
      const kid = kids[k]!
      const seg = kid.seg
      let l = 1
      const max = Math.min(seg.length, key.length - i)
      while (l < max && seg[l] === key[i + l]) l++
      if (l < seg.length) {
        // The key leaves (or ends inside) this edge: split it where they part.
        const mid = new Node<V>(seg.subarray(0, l))
        kid.seg = seg.subarray(l)
        mid.kids = [kid]
        kids[k] = mid
        node = mid
      } else node = kid
      i += l
    }
  }

  /** Removes `key`; true if it was stored. Nodes left without a purpose are pruned or merged. */
  delete(key: Buffer): boolean {
    const path: Node<V>[] = []
    let node = this.root
    let i = 0
    for (;;) {
      if (i === key.length) break
      const kids = node.kids
      if (!kids) return false
      const k = findKid(kids, key[i]!)
      if (k < 0) return false
      const kid = kids[k]!
      const seg = kid.seg
      if (key.length - i < seg.length) return false
      for (let j = 1; j < seg.length; j++) if (seg[j] !== key[i + j]) return false
      path.push(node)
      node = kid
      i += seg.length
    }
    if (node.value === undefined) return false
    node.value = undefined
    this.count--
    // Prune upwards: a node with no value and no child goes; one with no value and one child merges
    // into that child (path compression keeps at most two nodes per key).
    for (let d = path.length - 1; d >= 0; d--) {
      const parent = path[d]!
      if (node.value !== undefined) break
      const n = node.kids?.length ?? 0
      if (n === 0) {
        const kids = parent.kids!
        kids.splice(findKid(kids, node.seg[0]!), 1)
        if (kids.length === 0) parent.kids = undefined
        node = parent
        continue
      }
      if (n === 1) {
        const only = node.kids![0]!
        only.seg = Buffer.concat([node.seg, only.seg])
        const kids = parent.kids!
        kids[findKid(kids, node.seg[0]!)] = only
      }
      break
    }
    return true
  }

  /** Calls `f` with the value of every stored key that is a prefix of `data`, shortest first. */
  /**
   * Puts the value of every key that is a prefix of `data` into `out` (shortest first) and returns
   * how many: {@link forEachPrefixOf} without a callback, for the publisher's per-message path.
   */
  prefixValuesOf(data: Buffer, out: V[]): number {
    let node = this.root
    let i = 0
    let n = 0
    for (;;) {
      if (node.value !== undefined) out[n++] = node.value
      const kids = node.kids
      if (!kids || i === data.length) return n
      const k = findKid(kids, data[i]!)
      if (k < 0) return n
      const kid = kids[k]!
      const seg = kid.seg
      if (data.length - i < seg.length) return n
      for (let j = 1; j < seg.length; j++) if (seg[j] !== data[i + j]) return n
      node = kid
      i += seg.length
    }
  }

  forEachPrefixOf(data: Buffer, f: (value: V) => void): void {
    let node = this.root
    let i = 0
    for (;;) {
      if (node.value !== undefined) f(node.value)
      const kids = node.kids
      if (!kids || i === data.length) return
      const k = findKid(kids, data[i]!)
      if (k < 0) return
      const kid = kids[k]!
      const seg = kid.seg
      if (data.length - i < seg.length) return
      for (let j = 1; j < seg.length; j++) if (seg[j] !== data[i + j]) return
      node = kid
      i += seg.length
    }
  }

  /** True if some stored key is a prefix of `data`. */
  hasPrefixOf(data: Buffer): boolean {
    let node = this.root
    let i = 0
    for (;;) {
      if (node.value !== undefined) return true
      const kids = node.kids
      if (!kids || i === data.length) return false
      const k = findKid(kids, data[i]!)
      if (k < 0) return false
      const kid = kids[k]!
      const seg = kid.seg
      if (data.length - i < seg.length) return false
      for (let j = 1; j < seg.length; j++) if (seg[j] !== data[i + j]) return false
      node = kid
      i += seg.length
    }
  }

  /** Every key (a fresh Buffer) and its value, in byte order. */
  *entries(): IterableIterator<[Buffer, V]> {
    const stack: [Node<V>, Buffer][] = [[this.root, EMPTY]]
    while (stack.length > 0) {
      const [node, key] = stack.pop()!
      if (node.value !== undefined) yield [key, node.value]
      const kids = node.kids
      if (kids) for (let k = kids.length - 1; k >= 0; k--) stack.push([kids[k]!, Buffer.concat([key, kids[k]!.seg])])
    }
  }
}

/**
 * A subscriber's own subscriptions (libzmq's `trie_t`), counted: the same prefix added twice must be
 * removed twice.
 */
export class CountedSubscriptions {
  private readonly trie = new PrefixTrie<number>()

  /** Distinct prefixes held. */
  get size(): number {
    return this.trie.size
  }

  /** Adds one reference; true if the prefix was not held before. */
  add(prefix: Buffer): boolean {
    const n = this.trie.get(prefix) ?? 0
    this.trie.set(prefix, n + 1)
    return n === 0
  }

  /** Drops one reference; true if that was the last one (false too if the prefix was not held). */
  remove(prefix: Buffer): boolean {
    const n = this.trie.get(prefix)
    if (n === undefined) return false
    if (n > 1) {
      this.trie.set(prefix, n - 1)
      return false
    }
    this.trie.delete(prefix)
    return true
  }

  /** True if some held prefix is a prefix of `data`. */
  matches(data: Buffer): boolean {
    return this.trie.hasPrefixOf(data)
  }

  /** Every distinct prefix held, in byte order. */
  prefixes(): Buffer[] {
    return [...this.trie.entries()].map(([k]) => k)
  }
}

/** What {@link PeerSubscriptions.add} did. */
export type AddResult = "first" | "added" | "duplicate" | "refused"
/** What {@link PeerSubscriptions.remove} did (libzmq's `mtrie_t::rm_result`). */
export type RemoveResult = "notFound" | "lastRemoved" | "valuesRemain"

/** Per peer: its prefixes (keyed by their latin1 string) and their octets in all. */
interface Held {
  prefixes: Map<string, Buffer>
  octets: number
}

/**
 * A publisher's subscriptions (libzmq's `mtrie_t`): for each prefix, the peers subscribed to it.
 * Bounded per peer (see the file header).
 */
export class PeerSubscriptions<P> {
  private readonly trie = new PrefixTrie<P[]>()
  private readonly held = new Map<P, Held>()

  /** Distinct prefixes some peer holds. */
  get size(): number {
    return this.trie.size
  }

  /** Prefixes `peer` holds. */
  countOf(peer: P): number {
    return this.held.get(peer)?.prefixes.size ?? 0
  }

  /**
   * Subscribes `peer` to `prefix`: "first" if no peer held it before, "added" if others did,
   * "duplicate" if this peer already did, "refused" if the peer is at its limits.
   */
  add(prefix: Buffer, peer: P): AddResult {
    const key = prefix.toString("latin1")
    let h = this.held.get(peer)
    if (h?.prefixes.has(key)) return "duplicate"
    if (h && (h.prefixes.size >= MAX_PEER_SUBSCRIPTIONS || h.octets + prefix.length > MAX_PEER_SUBSCRIPTION_OCTETS)) return "refused"
    if (!h) this.held.set(peer, (h = { prefixes: new Map(), octets: 0 }))
    const copy = Buffer.from(prefix)
    h.prefixes.set(key, copy)
    h.octets += copy.length
    const peers = this.trie.get(copy)
    if (peers) {
      peers.push(peer)
      return "added"
    }
    this.trie.set(copy, [peer])
    return "first"
  }

  /** Unsubscribes `peer` from `prefix`. */
  remove(prefix: Buffer, peer: P): RemoveResult {
    const h = this.held.get(peer)
    const key = prefix.toString("latin1")
    if (!h?.prefixes.delete(key)) {
      // libzmq tells a prefix nobody holds apart from one others still hold.
      return "notFound"
    }
    h.octets -= prefix.length
    if (h.prefixes.size === 0) this.held.delete(peer)
    return this.dropFromTrie(prefix, peer) ? "lastRemoved" : "valuesRemain"
  }

  /** Removes the peer from every prefix, calling `f` for each (in byte order) with whether it was the last holder. */
  removePeer(peer: P, f?: (prefix: Buffer, last: boolean) => void): void {
    const h = this.held.get(peer)
    if (!h) return
    this.held.delete(peer)
    const prefixes = [...h.prefixes.values()].sort(Buffer.compare)
    for (const p of prefixes) {
      const last = this.dropFromTrie(p, peer)
      f?.(p, last)
    }
  }

  /**
   * The peer lists of the prefixes of `data` that some peer holds, into `out`; returns how many. A
   * peer holding several such prefixes is in several lists. The lists are the table's own: read them,
   * do not keep or change them.
   */
  matchLists(data: Buffer, out: P[][]): number {
    return this.trie.prefixValuesOf(data, out)
  }

  /** Calls `f` for each peer holding a prefix of `data`; a peer holding several is called once per prefix. */
  match(data: Buffer, f: (peer: P) => void): void {
    this.trie.forEachPrefixOf(data, (peers) => {
      for (let i = 0; i < peers.length; i++) f(peers[i]!)
    })
  }

  /** True if the peer was the last holder of the prefix. */
  private dropFromTrie(prefix: Buffer, peer: P): boolean {
    const peers = this.trie.get(prefix)!
    const i = peers.indexOf(peer)
    peers[i] = peers[peers.length - 1]!
    peers.pop()
    if (peers.length > 0) return false
    this.trie.delete(prefix)
    return true
  }
}
