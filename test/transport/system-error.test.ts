/**
 * Whatever a runtime throws at bind or connect becomes a typed ZmtpError (review18 finding 3): Deno's
 * permission error NotCapable has a name and no `code`, and building the error from it used to throw a
 * TypeError from the ZmtpError constructor instead.
 */
import { describe, expect, it } from "vitest"
import { ZmtpError } from "../../src/errors.js"
import { systemError } from "../../src/transport/endpoint.js"

describe("systemError: any thrown value, typed", () => {
  it("Deno's NotCapable (no code) is EACCES, its text kept in detail", () => {
    const notCapable = Object.assign(new Error('Requires write access to "/tmp/x.sock", run again with the --allow-write flag'), { name: "NotCapable" })
    const e = systemError(notCapable, "ipc:///tmp/x.sock")
    expect([e instanceof ZmtpError, e.code, e.message, e.detail, e.address]).toEqual([true, "EACCES", "Permission denied", notCapable.message, "ipc:///tmp/x.sock"])
  })
  it("an error without code, a string, undefined: EINVAL, never a TypeError", () => {
    expect([systemError(new Error("odd")), systemError("a string"), systemError(undefined)].map((e) => [e.code, e.detail])).toEqual([
      ["EINVAL", "odd"],
      ["EINVAL", "a string"],
      ["EINVAL", "undefined"],
    ])
  })
  it("a Node errno error keeps its mapping; a ZmtpError passes through as it is", () => {
    const inUse = Object.assign(new Error("listen EADDRINUSE"), { code: "EADDRINUSE" })
    expect(systemError(inUse).code).toBe("EADDRINUSE")
    const z = new ZmtpError("ENOENT")
    expect(systemError(z)).toBe(z)
  })
})
