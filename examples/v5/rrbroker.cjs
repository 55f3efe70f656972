// A request-reply broker with one worker and one client, written the way zeromq.js v5 programs
// were (var, require, callbacks, bindSync, one "message" argument per frame). It runs on
// zeromq.js's `zeromq/v5-compat` and on `zmtp/v5-compat` alike: only the require line names the
// library. Usage: node rrbroker.cjs [frontendPort] [backendPort] (.cjs: this package is ESM;
// after `npm run build`, `zmtp/v5-compat` resolves to dist/ through the package's own name)

var zmq = require('zmtp/v5-compat')

var frontendPort = process.argv[2] || 5559
var backendPort = process.argv[3] || 5560
var requests = 5

// The broker: a ROUTER for the clients, a DEALER for the workers, each message passed across whole
// (the client's envelope frames travel with it, so the reply finds its way back).
var frontend = zmq.socket('router')
var backend = zmq.socket('dealer')
frontend.bindSync('tcp://127.0.0.1:' + frontendPort)
backend.bindSync('tcp://127.0.0.1:' + backendPort)

frontend.on('message', function () {
  var frames = Array.prototype.slice.call(arguments)
  backend.send(frames)
})

backend.on('message', function () {
  var frames = Array.prototype.slice.call(arguments)
  frontend.send(frames)
})

// A worker: answers each request.
var worker = zmq.socket('rep')
worker.identity = 'worker-1'
worker.connect('tcp://127.0.0.1:' + backendPort)
worker.on('message', function (request) {
  worker.send('World (' + request.toString() + ', from ' + worker.identity + ')')
})

// A client: one request at a time, the next once the reply is in; then everything closes and the
// process exits by itself.
var client = zmq.socket('req')
client.connect('tcp://127.0.0.1:' + frontendPort)

var received = 0
client.on('message', function (reply) {
  console.log('Received reply ' + received + ': ' + reply.toString())
  received++
  if (received < requests) {
    client.send('Hello ' + received)
  } else {
    client.close()
    worker.close()
    frontend.close()
    backend.close()
    console.log('Done')
  }
})

client.send('Hello 0')
