// An unknown or foreign option, in the constructor and as a property: zeromq.js (and zmtp on Node)
// throw TypeError "Cannot add property X, object is not extensible". Prints what this runtime throws.
// Run: node|bun|deno run -A review18/p12-unknown-option.mjs
import { Dealer, Pair, Context } from "../dist/index.js"
import { rt } from "./rt.mjs"
const t = (f) => { try { f(); return "no throw" } catch (e) { return `${e.name}: ${e.message}` } }
const d = new Dealer({ linger: 0 })
console.log(JSON.stringify({ rt,
  ctor: t(() => new Dealer({ doesNotExist: 1 })),
  foreign: t(() => new Pair({ conflate: true })),
  assign: t(() => { "use strict"; d.doesNotExist = 1 }),
  ctx: t(() => new Context({ nope: 1 })),
}))
d.close()
