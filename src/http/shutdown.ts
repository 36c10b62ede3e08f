import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** How long answers still being written at shutdown may take before their connections are cut. */
export const SHUTDOWN_GRACE_MS = 10_000;
const LOOK_MS = 50;

/**
 * Lets app.close() finish as soon as the requests in flight are answered. Node's server.close()
 * waits for every connection to end, and Fastify closes only the connections idle when the close
 * begins: a connection that has not sent a request yet (a browser's preconnect, a client gone
 * quiet) or one whose answer ends after that held a stop for over a minute (the keep-alive timeout)
 * or for good. Node's closeIdleConnections() will not do either: it skips connections that never
 * sent a request, and it cuts one whose answer is ended but not yet flushed to the network (a large
 * answer read slowly arrives truncated). So each connection is let go here once no answer on it is
 * open and all it was given to send has gone out, and whatever is left after the grace period.
 */
export function closeConnectionsOnShutdown(app: FastifyInstance, graceMs = SHUTDOWN_GRACE_MS): void {
  // Answers not yet finished on each open connection.
  const open = new Map<Socket, number>();
  app.server.on('connection', (socket: Socket) => {
    open.set(socket, 0);
    socket.once('close', () => open.delete(socket));
  });
  app.server.on('request', (req, res) => {
    const socket = req.socket;
    if (!open.has(socket)) return;
    open.set(socket, open.get(socket)! + 1);
    res.once('close', () => {
      if (open.has(socket)) open.set(socket, open.get(socket)! - 1);
    });
  });
  let timer: NodeJS.Timeout | null = null;
  app.addHook('preClose', async () => {
    const deadline = Date.now() + graceMs;
    const look = () => {
      const late = Date.now() >= deadline;
      for (const [socket, answering] of open) if (late || (answering === 0 && socket.writableLength === 0)) socket.destroy();
    };
    timer = setInterval(look, LOOK_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => {
    if (timer) clearInterval(timer);
  });
}
