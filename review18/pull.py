# pyzmq PULL: binds, prints the endpoint, counts messages until 3 s of silence, prints the count.
import sys, zmq
ctx = zmq.Context(); s = ctx.socket(zmq.PULL); s.bind("tcp://127.0.0.1:*")
print(s.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
n = 0; nbytes = 0
s.RCVTIMEO = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
try:
    while True:
        m = s.recv(); n += 1; nbytes += len(m)
except zmq.Again:
    pass
print(n, nbytes, flush=True)
