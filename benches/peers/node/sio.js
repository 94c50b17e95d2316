// Socket.IO bench server on the official `socket.io` 4.x: node sio.js [ADDR], default 127.0.0.1:9205.
// `echo` → `echo` back to the sender; `broadcast` → `broadcast` to every socket of `/`, sender included.
'use strict';
const { createServer } = require('http');
const { Server } = require('socket.io');

const [host, port] = (process.argv[2] || '127.0.0.1:9205').split(':');
const httpServer = createServer();
const io = new Server(httpServer, { perMessageDeflate: false, maxHttpBufferSize: 1e8 });
io.on('connection', (socket) => {
  socket.on('echo', (data) => socket.emit('echo', data));
  socket.on('broadcast', (data) => io.emit('broadcast', data));
});
httpServer.listen(Number(port), host, () =>
  console.error(`sio listening on http://${host}:${port}`));
