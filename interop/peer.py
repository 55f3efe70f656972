#!/usr/bin/env python3
"""A libzmq peer for zmtp's interop tests, driven over stdin/stdout with JSON lines.

It runs Debian's libzmq (through pyzmq) in a process of its own, so the interop suite checks zmtp
against a second libzmq build besides the one inside zeromq.js.

Protocol (one JSON object per line):
  request   {"id": 7, "cmd": "socket", ...}
  reply     {"id": 7, "ok": true, ...}  or  {"id": 7, "ok": false, "code": "EAGAIN", "error": "..."}
  event     {"event": "monitor", "sock": 1, "name": "HANDSHAKE_SUCCEEDED", "value": 0, "endpoint": "..."}
Message frames travel as base64 strings.

Commands:
  hello                                  -> {libzmq, pyzmq}
  socket   {type, options?}              -> {sock}         options: {"ROUTING_ID": {"b64": ".."}, "LINGER": 0}
  setopt   {sock, name, value}
  bind     {sock, endpoint}              -> {endpoint}     the real endpoint (port chosen for tcp "*")
  connect / unbind / disconnect {sock, endpoint}
  monitor  {sock}                        starts "monitor" events for that socket
  send     {sock, frames, timeout?}      replies once libzmq has queued the whole message
  recv     {sock, timeout?}              -> {frames}
  echo     {sock}                        from now on every message received is sent straight back
                                         (a ROUTER's message keeps its envelope, so it goes back to
                                         the peer it came from)
  proxy    {frontend, backend, pubsub?}  zmq.proxy between a ROUTER bound at frontend and a DEALER
                                         bound at backend (with pubsub: an XSUB and an XPUB), in a
                                         thread -> {proxy, frontend, backend}
  proxy_stop {proxy}
  zap      {plain?, curve?}              binds a ROUTER at inproc://zeromq.zap.01 in this peer's
                                         context and answers ZAP requests (RFC 27): 200 for PLAIN
                                         when plain == {"username", "password"} match, 200 for CURVE
                                         when the client's key (Z85) is in the curve list, else 400.
                                         -> {sock}; each request is reported as a monitor-style event
                                         named "ZAP_<MECHANISM>_<STATUS>" on that sock. Must come
                                         before the server socket binds or connects: libzmq looks the
                                         handler up when a connection starts its handshake.
  close    {sock, linger?}
  exit                                   closes everything and exits

The process exits on "exit" and also when stdin reaches EOF, so a test runner that dies cannot leave
it behind.
"""

import base64
import errno
import json
import os
import queue
import sys
import threading
import time

import zmq
from zmq.utils import z85
from zmq.utils.monitor import recv_monitor_message

SOCKET_TYPES = {
    "REQ": zmq.REQ,
    "REP": zmq.REP,
    "DEALER": zmq.DEALER,
    "ROUTER": zmq.ROUTER,
    "PAIR": zmq.PAIR,
    "PUB": zmq.PUB,
    "SUB": zmq.SUB,
    "XPUB": zmq.XPUB,
    "XSUB": zmq.XSUB,
    "PUSH": zmq.PUSH,
    "PULL": zmq.PULL,
}

# libzmq's own error numbers (above ZMQ_HAUSNUMERO) have no entry in errno.errorcode.
ZMQ_ERRORS = {
    zmq.EFSM: "EFSM",
    zmq.ENOCOMPATPROTO: "ENOCOMPATPROTO",
    zmq.ETERM: "ETERM",
    zmq.EMTHREAD: "EMTHREAD",
}

EVENT_NAMES = {}
for _name in dir(zmq):
    if _name.startswith("EVENT_") and _name not in ("EVENT_ALL",):
        _value = getattr(zmq, _name)
        if isinstance(_value, int) and _value & (_value - 1) == 0:
            EVENT_NAMES[int(_value)] = _name[len("EVENT_"):]


def error_code(exc):
    if isinstance(exc, zmq.ZMQError):
        return ZMQ_ERRORS.get(exc.errno) or errno.errorcode.get(exc.errno, "E%d" % exc.errno)
    return type(exc).__name__


def b64(data):
    return base64.b64encode(bytes(data)).decode("ascii")


def unb64(text):
    return base64.b64decode(text)


def option_value(value):
    if isinstance(value, dict) and "b64" in value:
        return unb64(value["b64"])
    if isinstance(value, dict) and "str" in value:
        return value["str"].encode("utf-8")
    return value


class Failure(Exception):
    """A command that fails with a code the driver can branch on."""

    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code


class Sock(object):
    def __init__(self, ident, kind, socket):
        self.ident = ident
        self.kind = kind
        self.socket = socket
        self.echo = False
        self.monitor = None
        # A ZAP handler's config (the "zap" command), or None for an ordinary socket.
        self.zap = None
        # FIFO of (request id or None for an echo, frames, deadline or None)
        self.pending_sends = []
        # FIFO of (request id, deadline or None)
        self.pending_recvs = []


class Peer(object):
    def __init__(self):
        self.ctx = zmq.Context()
        self.socks = {}
        self.proxies = {}
        self.next_id = 1
        self.out = sys.stdout.buffer
        self.stdin_buf = b""
        self.running = True

    # -- output -------------------------------------------------------------------------------

    def write(self, obj):
        self.out.write(json.dumps(obj, separators=(",", ":")).encode("utf-8") + b"\n")
        self.out.flush()

    def reply(self, rid, **fields):
        if rid is None:
            return
        fields["id"] = rid
        fields["ok"] = True
        self.write(fields)

    def fail(self, rid, code, message):
        if rid is None:
            return
        self.write({"id": rid, "ok": False, "code": code, "error": message})

    # -- commands -----------------------------------------------------------------------------

    def sock(self, msg):
        ident = msg.get("sock")
        if ident not in self.socks:
            raise Failure("ENOTSOCK", "no socket %r" % (ident,))
        return self.socks[ident]

    def cmd_hello(self, rid, msg):
        self.reply(rid, libzmq=zmq.zmq_version(), pyzmq=zmq.__version__)

    def cmd_socket(self, rid, msg):
        kind = msg["type"].upper()
        if kind not in SOCKET_TYPES:
            raise Failure("EINVAL", "unknown socket type %r" % kind)
        socket = self.ctx.socket(SOCKET_TYPES[kind])
        try:
            socket.setsockopt(zmq.LINGER, 0)
            for name, value in (msg.get("options") or {}).items():
                socket.setsockopt(getattr(zmq, name), option_value(value))
        except Exception:
            socket.close(0)
            raise
        ident = self.next_id
        self.next_id += 1
        self.socks[ident] = Sock(ident, kind, socket)
        self.reply(rid, sock=ident)

    def cmd_setopt(self, rid, msg):
        s = self.sock(msg)
        s.socket.setsockopt(getattr(zmq, msg["name"]), option_value(msg["value"]))
        self.reply(rid)

    def cmd_bind(self, rid, msg):
        s = self.sock(msg)
        s.socket.bind(msg["endpoint"])
        endpoint = s.socket.getsockopt(zmq.LAST_ENDPOINT)
        self.reply(rid, endpoint=endpoint.decode("utf-8"))

    def cmd_connect(self, rid, msg):
        self.sock(msg).socket.connect(msg["endpoint"])
        self.reply(rid)

    def cmd_unbind(self, rid, msg):
        self.sock(msg).socket.unbind(msg["endpoint"])
        self.reply(rid)

    def cmd_disconnect(self, rid, msg):
        self.sock(msg).socket.disconnect(msg["endpoint"])
        self.reply(rid)

    def cmd_monitor(self, rid, msg):
        s = self.sock(msg)
        if s.monitor is None:
            s.monitor = s.socket.get_monitor_socket(zmq.EVENT_ALL)
        self.reply(rid)

    def cmd_echo(self, rid, msg):
        s = self.sock(msg)
        s.echo = True
        self.reply(rid)

    def cmd_send(self, rid, msg):
        s = self.sock(msg)
        frames = [unb64(f) for f in msg["frames"]]
        s.pending_sends.append((rid, frames, self.deadline(msg)))
        self.flush_sends(s)

    def cmd_recv(self, rid, msg):
        s = self.sock(msg)
        s.pending_recvs.append((rid, self.deadline(msg)))
        self.flush_recvs(s)

    def cmd_close(self, rid, msg):
        s = self.sock(msg)
        self.close_sock(s, msg.get("linger", 0))
        self.reply(rid)

    def cmd_proxy(self, rid, msg):
        ident = self.next_id
        self.next_id += 1
        control_ep = "inproc://proxy-control-%d" % ident
        control = self.ctx.socket(zmq.PAIR)
        control.bind(control_ep)
        ready = queue.Queue()
        thread = threading.Thread(
            target=run_proxy,
            args=(self.ctx, msg["frontend"], msg["backend"], control_ep, ready, bool(msg.get("pubsub"))),
            name="proxy-%d" % ident,
        )
        thread.daemon = True
        thread.start()
        outcome = ready.get(timeout=10)
        if isinstance(outcome, Exception):
            thread.join(5)
            control.close(0)
            raise outcome
        self.proxies[ident] = (thread, control)
        self.reply(rid, proxy=ident, frontend=outcome[0], backend=outcome[1])

    def cmd_proxy_stop(self, rid, msg):
        ident = msg["proxy"]
        if ident not in self.proxies:
            raise Failure("EINVAL", "no proxy %r" % (ident,))
        self.stop_proxy(ident)
        self.reply(rid)

    def cmd_zap(self, rid, msg):
        socket = self.ctx.socket(zmq.ROUTER)
        try:
            socket.setsockopt(zmq.LINGER, 0)
            socket.bind("inproc://zeromq.zap.01")
        except Exception:
            socket.close(0)
            raise
        ident = self.next_id
        self.next_id += 1
        s = Sock(ident, "ZAP", socket)
        s.zap = {"plain": msg.get("plain"), "curve": set(msg.get("curve") or [])}
        self.socks[ident] = s
        self.reply(rid, sock=ident)

    def cmd_exit(self, rid, msg):
        self.reply(rid)
        self.running = False

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def deadline(msg):
        timeout = msg.get("timeout")
        if timeout is None or timeout < 0:
            return None
        return time.monotonic() + timeout / 1000.0

    def flush_sends(self, s):
        while s.pending_sends:
            rid, frames, _ = s.pending_sends[0]
            try:
                # A multipart message is queued atomically: if the first frame is accepted, the
                # rest are too (zmq_send(3)), so NOBLOCK cannot leave half a message behind.
                s.socket.send_multipart(frames, flags=zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            except zmq.ZMQError as exc:
                s.pending_sends.pop(0)
                self.fail(rid, error_code(exc), str(exc))
                continue
            s.pending_sends.pop(0)
            self.reply(rid)

    def flush_recvs(self, s):
        while s.pending_recvs:
            rid, _ = s.pending_recvs[0]
            try:
                frames = s.socket.recv_multipart(flags=zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            except zmq.ZMQError as exc:
                s.pending_recvs.pop(0)
                self.fail(rid, error_code(exc), str(exc))
                continue
            s.pending_recvs.pop(0)
            self.reply(rid, frames=[b64(f) for f in frames])

    def pump_echo(self, s):
        # Bounded, so stdin and the other sockets get their turn under a flood.
        for _ in range(256):
            if s.pending_sends:
                self.flush_sends(s)
                if s.pending_sends:
                    return
            try:
                frames = s.socket.recv_multipart(flags=zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            s.pending_sends.append((None, frames, None))
            self.flush_sends(s)

    def zap_status(self, config, mechanism, credentials):
        if mechanism == b"PLAIN" and config["plain"] is not None and len(credentials) == 2:
            want = config["plain"]
            if credentials[0] == want["username"].encode("utf-8") and credentials[1] == want["password"].encode("utf-8"):
                return b"200"
        if mechanism == b"CURVE" and len(credentials) == 1 and len(credentials[0]) == 32:
            if z85.encode(credentials[0]).decode("ascii") in config["curve"]:
                return b"200"
        return b"400"

    def pump_zap(self, s):
        while True:
            try:
                frames = s.socket.recv_multipart(flags=zmq.NOBLOCK, copy=True)
            except zmq.Again:
                return
            # RFC 27 request: [routing id, "", version, request id, domain, address, identity,
            # mechanism, credentials...]; the reply goes back under the same envelope.
            if len(frames) < 8:
                continue
            routing_id, delimiter, _version, request_id, _domain, _address, _identity, mechanism = frames[:8]
            status = self.zap_status(s.zap, mechanism, frames[8:])
            text = b"OK" if status == b"200" else b"denied"
            user = b"user" if status == b"200" else b""
            s.socket.send_multipart([routing_id, delimiter, b"1.0", request_id, status, text, user, b""])
            self.write(
                {
                    "event": "monitor",
                    "sock": s.ident,
                    "name": "ZAP_%s_%s" % (mechanism.decode("ascii", "replace"), status.decode("ascii")),
                    "value": 0,
                    "endpoint": "inproc://zeromq.zap.01",
                }
            )

    def pump_monitor(self, s):
        while s.monitor is not None:
            try:
                event = recv_monitor_message(s.monitor, flags=zmq.NOBLOCK)
            except zmq.Again:
                return
            endpoint = event.get("endpoint")
            if isinstance(endpoint, bytes):
                endpoint = endpoint.decode("utf-8", "replace")
            self.write(
                {
                    "event": "monitor",
                    "sock": s.ident,
                    "name": EVENT_NAMES.get(event["event"], str(event["event"])),
                    "value": event.get("value"),
                    "endpoint": endpoint,
                }
            )

    def expire(self, now):
        for s in self.socks.values():
            for queue_name in ("pending_sends", "pending_recvs"):
                entries = getattr(s, queue_name)
                kept = []
                for entry in entries:
                    deadline = entry[-1]
                    if deadline is not None and deadline <= now:
                        self.fail(entry[0], "EAGAIN", "timed out")
                    else:
                        kept.append(entry)
                setattr(s, queue_name, kept)

    def next_timeout(self, now):
        deadlines = []
        for s in self.socks.values():
            deadlines.extend(e[-1] for e in s.pending_sends if e[-1] is not None)
            deadlines.extend(e[-1] for e in s.pending_recvs if e[-1] is not None)
        if not deadlines:
            return 1000
        return max(0, int((min(deadlines) - now) * 1000) + 1)

    def close_sock(self, s, linger=0):
        for rid, _, _ in s.pending_sends:
            self.fail(rid, "ENOTSOCK", "socket closed")
        for rid, _ in s.pending_recvs:
            self.fail(rid, "ENOTSOCK", "socket closed")
        if s.monitor is not None:
            try:
                s.socket.disable_monitor()
            except zmq.ZMQError:
                pass
            s.monitor.close(0)
            s.monitor = None
        s.socket.close(linger)
        del self.socks[s.ident]

    def stop_proxy(self, ident):
        thread, control = self.proxies.pop(ident)
        control.send(b"TERMINATE")
        thread.join(10)
        control.close(0)

    def shutdown(self):
        for ident in list(self.proxies):
            self.stop_proxy(ident)
        for s in list(self.socks.values()):
            self.close_sock(s)
        self.ctx.term()

    def handle_line(self, line):
        try:
            msg = json.loads(line)
        except ValueError as exc:
            self.write({"event": "error", "error": "bad json: %s" % exc})
            return
        rid = msg.get("id")
        handler = getattr(self, "cmd_" + str(msg.get("cmd")), None)
        if handler is None:
            self.fail(rid, "EINVAL", "unknown command %r" % (msg.get("cmd"),))
            return
        try:
            handler(rid, msg)
        except Failure as exc:
            self.fail(rid, exc.code, str(exc))
        except Exception as exc:  # report every failure to the driver; never die on one command
            self.fail(rid, error_code(exc), str(exc))

    def read_stdin(self):
        chunk = os.read(0, 1 << 20)
        if not chunk:
            self.running = False
            return
        self.stdin_buf += chunk
        while self.running:
            newline = self.stdin_buf.find(b"\n")
            if newline < 0:
                return
            line = self.stdin_buf[:newline]
            self.stdin_buf = self.stdin_buf[newline + 1:]
            if line.strip():
                self.handle_line(line)

    def run(self):
        while self.running:
            poller = zmq.Poller()
            poller.register(0, zmq.POLLIN)
            for s in self.socks.values():
                flags = 0
                if s.echo or s.pending_recvs or s.zap is not None:
                    flags |= zmq.POLLIN
                if s.pending_sends:
                    flags |= zmq.POLLOUT
                if flags:
                    poller.register(s.socket, flags)
                if s.monitor is not None:
                    poller.register(s.monitor, zmq.POLLIN)
            ready = dict(poller.poll(self.next_timeout(time.monotonic())))
            for s in list(self.socks.values()):
                if s.ident not in self.socks:
                    continue
                if s.monitor is not None and s.monitor in ready:
                    self.pump_monitor(s)
                if s.socket in ready:
                    if s.pending_sends:
                        self.flush_sends(s)
                    if s.pending_recvs:
                        self.flush_recvs(s)
                    if s.echo:
                        self.pump_echo(s)
                    if s.zap is not None:
                        self.pump_zap(s)
            self.expire(time.monotonic())
            if 0 in ready:
                self.read_stdin()
        self.shutdown()


def run_proxy(ctx, frontend_ep, backend_ep, control_ep, ready, pubsub=False):
    frontend = ctx.socket(zmq.XSUB if pubsub else zmq.ROUTER)
    backend = ctx.socket(zmq.XPUB if pubsub else zmq.DEALER)
    control = ctx.socket(zmq.PAIR)
    try:
        for s in (frontend, backend, control):
            s.setsockopt(zmq.LINGER, 0)
        frontend.bind(frontend_ep)
        backend.bind(backend_ep)
        control.connect(control_ep)
        ready.put(
            (
                frontend.getsockopt(zmq.LAST_ENDPOINT).decode("utf-8"),
                backend.getsockopt(zmq.LAST_ENDPOINT).decode("utf-8"),
            )
        )
    except Exception as exc:
        for s in (frontend, backend, control):
            s.close(0)
        ready.put(exc)
        return
    try:
        # zmq_proxy_steerable(3): returns when the control socket receives TERMINATE.
        zmq.proxy_steerable(frontend, backend, None, control)
    except zmq.ZMQError:
        pass
    finally:
        for s in (frontend, backend, control):
            s.close(0)


def main():
    peer = Peer()
    try:
        peer.run()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
