/**
 * Subject selection for the RFC 23/37 wire-conformance tests.
 *
 * Each wire test drives one socket under test (the "subject") from a scripted
 * raw peer (raw-peer.ts) and runs once per subject:
 *   - "libzmq": zeromq.js 6 (libzmq 4.3.5), the reference implementation;
 *   - "zmtp":   this project, imported from src/index.ts.
 *
 * SPEC_SUBJECTS picks the subjects (comma separated, default "zmtp,libzmq"); the
 * subjects are loaded by spec-tests/subjects.ts. A subject whose module cannot be
 * imported gets a skipped test that says why, instead of a collection failure.
 */
import { recvWithin, type AnySocket } from "../subjects.js"

// One subject context for both suites: the wire tests use its `track`, `defer`, `bindFresh` and
// `ipcEndpoint`.
export {
  describeSubjects,
  itKnownLibzmqDeviation,
  subjects,
  transports,
  uniqueIpcPath,
  type AnySocket,
  type Ctx,
  type Subject,
  type SubjectName,
  type Transport,
  type Zmq,
} from "../subjects.js"

// ---------------------------------------------------------------------------
// Subject-side message helpers
// ---------------------------------------------------------------------------

// The receive helpers are the ones the socket-level suite uses.
export { codeOf, recvStrs, recvWithin, sleep } from "../subjects.js"

/** True when nothing is waiting on `sock` right now (a receive that may not wait). */
export async function nothingQueued(sock: AnySocket): Promise<boolean> {
  return (await recvWithin(sock, 0)) === undefined
}
