/**
 * The webhook a workspace gives its Twilio number for "A message comes in". Twilio's request
 * signature, made with the workspace's auth token, is the credential; the reply is TwiML.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { settingsOf } from '../store/workspaces.ts';
import { linkBase, type DeliveryContext } from '../surveys/delivery.ts';
import { handleInboundSms, parseForm, twiml, verifyTwilioSignature, type FormParams } from '../surveys/sms-inbound.ts';
import { AppError } from '../domain/errors.ts';
import { ErrorBody } from './schemas.ts';

const FORM = 'application/x-www-form-urlencoded';

export async function smsInboundRoutes(app: FastifyInstance, opts: { delivery: DeliveryContext }) {
  const { db, writer } = opts.delivery;
  const noKey: Array<Record<string, string[]>> = [];

  // Twilio posts at most a 1,600-character body with a few dozen short fields.
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, parseForm(body as string)));

  app.post('/hooks/sms/:workspaceId', {
    schema: {
      tags: ['surveys'], security: noKey, consumes: [FORM],
      summary: 'Inbound SMS webhook (Twilio "A message comes in"): STOP/START keywords, a texted score 0–10 and the reason after it; signed with X-Twilio-Signature, answers TwiML',
      params: Type.Object({ workspaceId: Type.String({ maxLength: 100 }) }),
      headers: Type.Object({ 'x-twilio-signature': Type.Optional(Type.String({ maxLength: 200 })) }),
      body: Type.Object({
        From: Type.String({ minLength: 1, maxLength: 64, description: 'Sender, E.164' }),
        Body: Type.String({ maxLength: 10_000, description: 'The text' }),
        To: Type.Optional(Type.String({ maxLength: 64 })),
        MessageSid: Type.Optional(Type.String({ maxLength: 64 })),
        AccountSid: Type.Optional(Type.String({ maxLength: 100, description: 'Must be the account of the workspace\'s SMS settings' })),
      }, { additionalProperties: true }),
      response: {
        200: { description: 'TwiML: an empty <Response/>, or one <Message> to text back', content: { 'text/xml': { schema: Type.String() } } },
        '4xx': ErrorBody,
      },
    },
  }, async (request, reply) => {
    const { workspaceId } = request.params as { workspaceId: string };
    const contentType = String(request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (contentType !== FORM) throw new AppError('unsupported', `Send the webhook as ${FORM}, as Twilio does`);
    const settings = await settingsOf(db, workspaceId);
    if (!settings.sms) throw new AppError('not_found', `SMS is not set up for workspace ${workspaceId}: PUT /api/v1/settings/delivery with sms settings`);

    const params = request.body as FormParams;
    // The URL Twilio was given, which is what it signed: this server as the outside world reaches it.
    const url = linkBase(settings, opts.delivery.publicUrl) + request.url;
    const signature = request.headers['x-twilio-signature'] as string | undefined;
    if (!signature) throw new AppError('forbidden', 'X-Twilio-Signature header missing: this webhook only takes requests signed by the SMS provider');
    if (!verifyTwilioSignature(settings.sms.authToken, url, params, signature)) {
      throw new AppError('forbidden', `X-Twilio-Signature does not match: it must be signed with this workspace's SMS auth token for ${url}`);
    }
    if (params.AccountSid !== settings.sms.accountSid) throw new AppError('forbidden', 'AccountSid: not the account of this workspace\'s SMS settings', { field: 'AccountSid' });

    const outcome = await handleInboundSms(db, writer, workspaceId, {
      from: params.From as string, body: params.Body as string, ...(typeof params.MessageSid === 'string' ? { messageSid: params.MessageSid } : {}),
    });
    return reply.status(200).header('content-type', 'text/xml; charset=utf-8').header('cache-control', 'no-store').send(twiml(outcome.reply));
  });
}
