# pyzmq REP peers for p5: CURVE over tcp and over ipc; prints "curve_ep server_public plain_ep".
import sys, zmq, threading
ctx = zmq.Context()
pub, sec = zmq.curve_keypair()
c = ctx.socket(zmq.REP); c.curve_server = True; c.curve_secretkey = sec; c.bind("tcp://127.0.0.1:*")
p = ctx.socket(zmq.REP); p.curve_server = True; p.curve_secretkey = sec; p.bind("ipc://" + sys.argv[1])

print(c.getsockopt_string(zmq.LAST_ENDPOINT), pub.decode(), p.getsockopt_string(zmq.LAST_ENDPOINT), flush=True)
poller = zmq.Poller(); poller.register(c, zmq.POLLIN); poller.register(p, zmq.POLLIN)
while True:
    ev = dict(poller.poll(10000))
    if not ev: break
    for s in ev:
        m = s.recv_multipart(); s.send_multipart(m[::-1])
