import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * Opens the routes of one plugin scope to every origin: browser code on customers' sites posts
 * events and answers with a public key or a survey token, neither of which reads anything back.
 * Returns the handler for the scope's OPTIONS (preflight) routes, allowing `allowHeaders`.
 */
export function openToAnyOrigin(app: FastifyInstance, allowHeaders: string) {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('access-control-allow-origin', '*');
  });
  return async (_request: FastifyRequest, reply: FastifyReply) => {
    reply.header('access-control-allow-methods', 'POST, OPTIONS').header('access-control-allow-headers', allowHeaders).header('access-control-max-age', '86400').status(204).send();
  };
}
