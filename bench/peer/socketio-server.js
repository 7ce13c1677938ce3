// socketio-server.js: a Socket.IO chat node, the benchmark peer users would pick instead of wschat
// (bench/peer/README.md). One room per connection, named by the handshake's ?room= (default "lobby");
// a "chat" event is sent to the whole room, the sender included. WebSocket transport only, no compression.
//
//   PORT=3000 node socketio-server.js                                   # one node, in-memory adapter
//   PORT=3001 REDIS_URL=redis://127.0.0.1:6379 node socketio-server.js  # a node of a cluster (Redis adapter)
'use strict';
const http = require('http');
const { Server } = require('socket.io');

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const REDIS_URL = process.env.REDIS_URL || '';

async function main() {
  const httpServer = http.createServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404, { 'Content-Type': 'text/plain' });
    res.end(req.url === '/health' ? 'ok\n' : 'not found\n');
  });
  const io = new Server(httpServer, {
    transports: ['websocket'],
    perMessageDeflate: false,
    httpCompression: false,
    serveClient: false,
    // the bench's room of 1,000 sends one 64-byte chat per delivery; the default 1 MB is plenty
    maxHttpBufferSize: 1e6,
  });
  let pub = null;
  let sub = null;
  if (REDIS_URL) {
    const { createClient } = require('redis');
    const { createAdapter } = require('@socket.io/redis-adapter');
    pub = createClient({ url: REDIS_URL });
    sub = pub.duplicate();
    for (const c of [pub, sub]) {
      c.on('error', (err) => console.error(`socketio ${PORT}: redis: ${err.message}`));
    }
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  io.on('connection', (socket) => {
    const q = socket.handshake.query.room;
    const room = typeof q === 'string' && q.length > 0 ? q : 'lobby';
    socket.join(room);
    socket.on('chat', (text) => {
      if (typeof text === 'string') {
        io.to(room).emit('chat', text);
      }
    });
  });
  // PORT=0 picks a free port; the line says which (the bench's SocketIoPeerTest reads it)
  httpServer.listen(PORT, HOST, () => {
    const port = httpServer.address().port;
    console.log(`socketio ${port}: listening on ${HOST}:${port}, adapter ${REDIS_URL ? 'redis ' + REDIS_URL : 'in-memory'}`);
  });

  const shutdown = () => {
    console.log(`socketio ${PORT}: shutting down`);
    io.close(() => {
      Promise.allSettled([pub && pub.quit(), sub && sub.quit()]).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => {
  console.error(`socketio ${PORT}: ${err.stack || err}`);
  process.exit(1);
});
