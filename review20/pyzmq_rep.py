# A pyzmq REP RPC server on several broker backends: reads [topic, body], answers msgpack [1, 0, id, params].
import sys, zmq, msgpack
ctx = zmq.Context()
socks = []
for ep in sys.argv[1:]:
    s = ctx.socket(zmq.REP); s.setsockopt(zmq.LINGER, 0); s.setsockopt(zmq.HEARTBEAT_IVL, 1000); s.setsockopt(zmq.HEARTBEAT_TIMEOUT, 3000)
    s.connect(ep); socks.append(s)
poller = zmq.Poller()
for s in socks: poller.register(s, zmq.POLLIN)
print("ready", flush=True)
while True:
    for s, _ in poller.poll():
        frames = s.recv_multipart()
        v, kind, cid, method, params = msgpack.unpackb(frames[-1], raw=False)
        s.send(msgpack.packb([1, 2 if kind == 1 else 0, cid, None if kind == 1 else params]))
