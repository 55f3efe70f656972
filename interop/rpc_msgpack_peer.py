#!/usr/bin/env python3
"""The msgpack-python side of interop/rpc-msgpack.test.ts: RPC peers written with pyzmq and
msgpack-python (Debian python3-msgpack), speaking zmtp's RPC wire format (src/rpc/protocol.ts):

    request: [topic, msgpack [version, kind, id, method, params]]
    reply:   [msgpack [version, status, id, payload]]

Modes (argv[1]):

  serve       a REP server bound on tcp://127.0.0.1 (ephemeral port); prints {"endpoint": ...} as
              one JSON line, then answers requests until it gets the method "exit":
                describe(params)  the params as msgpack-python decoded them, with their Python types
                values()          values made in Python (ints of every width, floats, bytes, ...)
                echo(params)      params as decoded, encoded again by msgpack-python
  call EP     a REQ client connecting to a zmtp RpcServer at EP: calls values() there (JS encodes,
              Python decodes), then echo(python values) (Python encodes, JS decodes and answers),
              and prints {"values": <described>, "echo": <described>} as one JSON line.

Decoding is strict: raw=False (str is str, bin is bytes) and strict_map_key=False only so that a
non-string key is reported rather than refused. An extension type other than the msgpack timestamp
(-1) shows up in the description as {"t": "ext", ...}, which is what the test forbids.
"""
import json
import sys

import msgpack
import zmq

VERSION = 1


def describe(v):
    """A JSON description of a decoded value that keeps the msgpack type."""
    if v is None:
        return {"t": "nil"}
    if isinstance(v, bool):
        return {"t": "bool", "v": v}
    if isinstance(v, int):
        # As a string: JSON numbers lose precision beyond 2^53 in the JS test.
        return {"t": "int", "v": str(v)}
    if isinstance(v, float):
        return {"t": "float", "v": repr(v)}
    if isinstance(v, str):
        return {"t": "str", "v": v}
    if isinstance(v, (bytes, bytearray)):
        return {"t": "bin", "v": bytes(v).hex()}
    # Before tuple: ExtType is a namedtuple.
    if isinstance(v, msgpack.ExtType):
        return {"t": "ext", "code": v.code, "v": v.data.hex()}
    if isinstance(v, (list, tuple)):
        return {"t": "array", "v": [describe(x) for x in v]}
    if isinstance(v, dict):
        return {"t": "map", "v": [[describe(k), describe(x)] for k, x in v.items()]}
    if isinstance(v, msgpack.Timestamp):
        return {"t": "timestamp", "seconds": v.seconds, "nanoseconds": v.nanoseconds}
    return {"t": "unknown", "v": repr(v)}


def python_values():
    return {
        "small": 7,
        "negative": -3,
        "u32max": 2**32 - 1,
        "wide": 2**40,
        "wideNegative": -(2**40),
        "safeMax": 2**53 - 1,
        "int53": 2**53,
        "int64max": 2**63 - 1,
        "int64min": -(2**63),
        "uint64max": 2**64 - 1,
        "float": 1.5,
        "floatWhole": 3.0,
        "str": "h\u00e9llo \u5de5",
        "bytes": b"\x00\xff\x10",
        "none": None,
        "yes": True,
        "list": [1, "two", None, [2.5]],
        "nested": {"a": {"b": []}},
        "timestamp": msgpack.Timestamp(1_700_000_000, 500_000_000),
    }


def pack(v):
    return msgpack.packb(v, use_bin_type=True)


def unpack(b):
    return msgpack.unpackb(b, raw=False, strict_map_key=False)


def serve():
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.setsockopt(zmq.LINGER, 0)
    port = rep.bind_to_random_port("tcp://127.0.0.1")
    print(json.dumps({"endpoint": "tcp://127.0.0.1:%d" % port}), flush=True)
    try:
        while True:
            frames = rep.recv_multipart()
            version, kind, call_id, method, params = unpack(frames[-1])
            if method == "exit":
                rep.send(pack([VERSION, 0, call_id, None]))
                return
            if method == "describe":
                payload = describe(params)
            elif method == "values":
                payload = python_values()
            elif method == "echo":
                payload = params
            else:
                rep.send(pack([VERSION, 1, call_id, {"name": "RpcError", "code": "ERR_RPC_NO_METHOD", "message": method}]))
                continue
            rep.send(pack([VERSION, 0, call_id, payload]))
    finally:
        rep.close()
        ctx.term()


def call(endpoint):
    ctx = zmq.Context()
    req = ctx.socket(zmq.REQ)
    req.setsockopt(zmq.LINGER, 0)
    req.setsockopt(zmq.RCVTIMEO, 10_000)
    req.connect(endpoint)
    out = {}
    try:
        for n, (method, params) in enumerate([("values", None), ("echo", python_values())]):
            req.send_multipart([b"default", pack([VERSION, 0, "py-%d" % n, method, params])])
            version, status, call_id, payload = unpack(req.recv_multipart()[-1])
            if status != 0 or call_id != "py-%d" % n:
                raise SystemExit("bad reply to %s: %r" % (method, (version, status, call_id, payload)))
            out[method] = describe(payload)
    finally:
        req.close()
        ctx.term()
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    elif sys.argv[1] == "call":
        call(sys.argv[2])
    else:
        raise SystemExit("usage: rpc_msgpack_peer.py serve | call ENDPOINT")
