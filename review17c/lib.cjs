// Picks the v5 module under test: node x.cjs zmtp|zeromq
const which = process.argv[2] || "zmtp"
exports.which = which
exports.v5 = which === "zmtp" ? require("../dist/v5-compat.cjs") : require("zeromq/v5-compat")
exports.v6 = which === "zmtp" ? require("../dist/index.cjs") : require("zeromq")
exports.zmqjs = require("zeromq")
exports.sleep = (ms) => new Promise((r) => setTimeout(r, ms))
exports.port = () => new Promise((res) => { const s = require("net").createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => res(p)) }) })
