/**
 * A Twilio-shaped SMS provider on a loopback port, for tests that send SMS.
 *
 *   const sms = await startSmsProvider();
 *   await sendSms(sms.settings(), { to: '+15005550006', body: 'Hi', idempotencyKey: 'contact-1' });
 *   sms.messages[0]  // { to, from, body, idempotencyKey, sid, ... }
 *   sms.mode = 'invalid-number';
 *   await sms.close();
 *
 * It serves POST /2010-04-01/Accounts/{accountSid}/Messages.json with a form body (To, From,
 * Body) and HTTP Basic auth accountSid:authToken (anything else: 401, Twilio code 20003; another
 * path or account: 404, code 20404; a missing field: 400, code 21604, 21603 or 21602). Modes:
 *   accept          201 with { sid, status: "queued", ... }; a repeated I-Twilio-Idempotency-Token
 *                   gets the first answer again and is not counted as a second message, as Twilio does
 *   fail-500        500 { code: 20500 }
 *   invalid-number  400 { code: 21211 } ("The 'To' number is not a valid phone number")
 *   unsubscribed    400 { code: 21610 } (the recipient replied STOP)
 *   slow            never answers (the connection stays open until close())
 *
 * `requests` records every authenticated, well-formed request whatever the mode, with the status
 * it got (null for 'slow'); `messages` only the ones accepted.
 */
import { Received } from './wait.ts';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SmsSettings } from '../../src/surveys/sms.ts';

export type SmsMode = 'accept' | 'fail-500' | 'invalid-number' | 'unsubscribed' | 'slow';

export interface ReceivedSms {
  to: string;
  from: string;
  body: string;
  idempotencyKey: string | null;
  /** Set when accepted. */
  sid: string | null;
  /** HTTP status answered; null while unanswered ('slow'). */
  status: number | null;
}

export interface TestSmsProvider {
  mode: SmsMode;
  readonly port: number;
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  readonly messages: ReceivedSms[];
  readonly requests: ReceivedSms[];
  /** Resolves once `messages` holds at least n messages; rejects after timeoutMs (default 5 s). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedSms[]>;
  settings(overrides?: Partial<SmsSettings>): SmsSettings;
  close(): Promise<void>;
}

export interface SmsProviderOptions {
  mode?: SmsMode;
  accountSid?: string;
  authToken?: string;
  from?: string;
}

export async function startSmsProvider(opts: SmsProviderOptions = {}): Promise<TestSmsProvider> {
  const accountSid = opts.accountSid ?? 'AC00000000000000000000000000000001';
  const authToken = opts.authToken ?? 'test-auth-token';
  const state = { mode: opts.mode ?? ('accept' as SmsMode) };
  const accepted = new Received<ReceivedSms>('test SMS provider');
  const messages = accepted.items;
  const requests: ReceivedSms[] = [];
  const byIdempotencyKey = new Map<string, ReceivedSms>();
  let nextSid = 1;

  const send = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, status: number, code: number, message: string) =>
    send(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
  const messageJson = (m: ReceivedSms) => ({
    sid: m.sid,
    account_sid: accountSid,
    to: m.to,
    from: m.from,
    body: m.body,
    status: 'queued',
    num_segments: '1',
    direction: 'outbound-api',
    date_created: new Date().toUTCString(),
    error_code: null,
    error_message: null,
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
    if (req.headers.authorization !== expectedAuth) return error(res, 401, 20003, 'Authenticate');
    if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${accountSid}/Messages.json`) {
      return error(res, 404, 20404, `The requested resource ${req.url} was not found`);
    }
    if (!(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      return error(res, 400, 20001, 'Content-Type must be application/x-www-form-urlencoded');
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const key = req.headers['i-twilio-idempotency-token'];
    const received: ReceivedSms = {
      to: form.get('To') ?? '',
      from: form.get('From') ?? '',
      body: form.get('Body') ?? '',
      idempotencyKey: typeof key === 'string' ? key : null,
      sid: null,
      status: null,
    };
    if (!received.to) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (!received.from) return error(res, 400, 21603, "A 'From' phone number is required.");
    if (!received.body) return error(res, 400, 21602, 'Message body is required.');
    requests.push(received);

    switch (state.mode) {
      case 'slow':
        return; // never answered; close() ends the connection
      case 'fail-500':
        received.status = 500;
        return error(res, 500, 20500, 'Internal Server Error');
      case 'invalid-number':
        received.status = 400;
        return error(res, 400, 21211, `The 'To' number ${received.to} is not a valid phone number.`);
      case 'unsubscribed':
        received.status = 400;
        return error(res, 400, 21610, 'Attempt to send to unsubscribed recipient');
      case 'accept': {
        const earlier = received.idempotencyKey ? byIdempotencyKey.get(received.idempotencyKey) : undefined;
        received.status = 201;
        if (earlier) {
          received.sid = earlier.sid;
          return send(res, 201, messageJson(earlier));
        }
        received.sid = `SM${String(nextSid++).padStart(32, '0')}`;
        if (received.idempotencyKey) byIdempotencyKey.set(received.idempotencyKey, received);
        accepted.add(received);
        return send(res, 201, messageJson(received));
      }
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    get mode() {
      return state.mode;
    },
    set mode(mode: SmsMode) {
      state.mode = mode;
    },
    port,
    url,
    accountSid,
    authToken,
    messages,
    requests,
    waitFor: (n, timeoutMs) => accepted.waitFor(n, timeoutMs),
    settings(overrides = {}) {
      return { url, accountSid, authToken, from: opts.from ?? '+15005550006', ...overrides };
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
