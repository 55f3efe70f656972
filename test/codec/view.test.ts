import * as fc from "fast-check"
import { describe, expect, it } from "vitest"
import { FastView, view } from "../../src/codec/view.js"

describe("view: cheap Buffer views", () => {
  it("on Node the fast constructor is found and builds real Buffers", () => {
    expect(FastView, "Buffer[Symbol.species] probe").toBeDefined()
    const v = new FastView!(new ArrayBuffer(8), 2, 3)
    expect(Buffer.isBuffer(v)).toBe(true)
    expect(v.toString("hex")).toBe("000000")
  })

  it("property: view(buf, a, b) is buf.subarray(a, b): same octets, same memory, a Buffer", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.nat(16), (bytes, x, y, pad) => {
        // A Buffer that does not start at its ArrayBuffer's offset 0, as chunks from Node's pool do not.
        const backing = Buffer.alloc(bytes.length + pad)
        const buf = backing.subarray(pad)
        buf.set(bytes)
        const a = bytes.length === 0 ? 0 : x % (bytes.length + 1)
        const b = a + (bytes.length - a === 0 ? 0 : y % (bytes.length - a + 1))
        const v = view(buf, a, b)
        expect(Buffer.isBuffer(v)).toBe(true)
        expect(v.equals(buf.subarray(a, b))).toBe(true)
        expect(v.buffer).toBe(buf.buffer)
        expect(v.byteOffset).toBe(buf.byteOffset + a)
        if (v.length > 0) {
          v[0] = v[0]! ^ 0xff
          expect(buf[a], "a view, not a copy").toBe(v[0])
        }
      }),
      { numRuns: 2000 },
    )
  })
})
