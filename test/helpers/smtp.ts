/**
 * A real SMTP server (the smtp-server package) on a loopback port, for tests that send email.
 *
 *   const smtp = await startSmtpServer();
 *   await sendEmail(smtp.settings(), { to: 'ada@example.com', ... });
 *   const [msg] = await smtp.waitFor(1);
 *   msg.subject; msg.headers['list-unsubscribe']; msg.html; msg.text; msg.envelope.to
 *   smtp.mode = 'reject-recipient';   // later sends get "550 mailbox unavailable" at RCPT TO
 *   await smtp.close();
 *
 * Modes, read at the moment each command arrives, so they can be switched between sends:
 *   accept            every message is accepted (250) and appended to `messages`
 *   reject-recipient  550 at RCPT TO: a hard bounce
 *   reject-sender     553 at MAIL FROM: a sender/configuration problem, not a bounce
 *   temp-fail         451 at RCPT TO: try again later
 *   drop              the message is read in full, then the socket is destroyed before the reply,
 *                     so the client cannot know whether it was accepted; such messages go to
 *                     `dropped`, not `messages`
 *
 * Plain text only (no STARTTLS). Authentication is optional unless `auth` is given, in which
 * case those credentials are required and others get 535.
 */
import { Received } from './wait.ts';
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { SmtpSettings } from '../../src/surveys/mailer.ts';

export type SmtpMode = 'accept' | 'reject-recipient' | 'reject-sender' | 'temp-fail' | 'drop';

export interface CapturedEmail {
  envelope: { from: string; to: string[] };
  /** The message exactly as received (CRLF line ends, dot-unstuffed). */
  raw: string;
  /** Decoded (RFC 2047) Subject header. */
  subject: string;
  /** Top-level headers, names lower-cased, values unfolded; a repeated header keeps its first value. */
  headers: Record<string, string>;
  /** Decoded text/plain and text/html bodies with \n line ends, or null when the message has no such part. */
  text: string | null;
  html: string | null;
}

export interface TestSmtpServer {
  mode: SmtpMode;
  readonly port: number;
  readonly messages: CapturedEmail[];
  readonly dropped: CapturedEmail[];
  /** Resolves once `messages` holds at least n messages; rejects after timeoutMs (default 5 s). */
  waitFor(n: number, timeoutMs?: number): Promise<CapturedEmail[]>;
  /** Settings that point the mailer at this server. */
  settings(overrides?: Partial<SmtpSettings>): SmtpSettings;
  close(): Promise<void>;
}

export interface SmtpServerOptions {
  mode?: SmtpMode;
  /** Require these credentials (AUTH PLAIN/LOGIN over plain text is allowed). */
  auth?: { user: string; pass: string };
  from?: string;
}

const smtpError = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

export async function startSmtpServer(opts: SmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received = new Received<CapturedEmail>('test SMTP server');
  const messages = received.items;
  const dropped: CapturedEmail[] = [];
  // session.remotePort -> socket, so 'drop' can cut the very connection the message came on.
  const sockets = new Map<number, Socket>();
  const state = { mode: opts.mode ?? ('accept' as SmtpMode) };

  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) callback(null, { user: auth.username });
      else callback(smtpError(535, 'authentication credentials invalid'));
    },
    onMailFrom(_address, _session, callback) {
      if (state.mode === 'reject-sender') callback(smtpError(553, 'sender address rejected'));
      else callback();
    },
    onRcptTo(_address, _session, callback) {
      if (state.mode === 'reject-recipient') callback(smtpError(550, 'mailbox unavailable'));
      else if (state.mode === 'temp-fail') callback(smtpError(451, 'temporary local problem, try again later'));
      else callback();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelope = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        };
        const message = { envelope, raw, ...parseMessage(raw) };
        if (state.mode === 'drop') {
          dropped.push(message);
          // No callback: the reply to the final dot is never written.
          sockets.get(session.remotePort)?.destroy();
          return;
        }
        received.add(message);
        callback(null, 'queued');
      });
    },
  });
  server.server.on('connection', (socket: Socket) => {
    const port = socket.remotePort;
    if (port === undefined) return;
    sockets.set(port, socket);
    socket.once('close', () => sockets.delete(port));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    get mode() {
      return state.mode;
    },
    set mode(mode: SmtpMode) {
      state.mode = mode;
    },
    port,
    messages,
    dropped,
    waitFor: (n, timeoutMs) => received.waitFor(n, timeoutMs),
    settings(overrides = {}) {
      return {
        host: '127.0.0.1',
        port,
        secure: false,
        user: opts.auth?.user ?? null,
        pass: opts.auth?.pass ?? null,
        from: opts.from ?? 'Advocate Tests <nps@advocate.test>',
        ...overrides,
      };
    },
    close() {
      for (const socket of sockets.values()) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Minimal MIME parsing: enough for what the mailer sends (headers, multipart/alternative or
// mixed/related nesting, quoted-printable, base64, RFC 2047 encoded words). Not a general parser.

export interface ParsedMessage {
  subject: string;
  headers: Record<string, string>;
  text: string | null;
  html: string | null;
}

export function parseMessage(raw: string): ParsedMessage {
  const { headers, body } = splitEntity(raw);
  const parts = { text: null as string | null, html: null as string | null };
  collectParts(headers, body, parts);
  return { subject: decodeWords(headers.subject ?? ''), headers, ...parts };
}

function splitEntity(entity: string): { headers: Record<string, string>; body: string } {
  const match = /\r?\n\r?\n/.exec(entity);
  const head = match ? entity.slice(0, match.index) : entity;
  const body = match ? entity.slice(match.index + match[0].length) : '';
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers[name] ??= line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function param(header: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header);
  return m ? (m[1] ?? m[2]) : null;
}

function collectParts(headers: Record<string, string>, body: string, out: { text: string | null; html: string | null }): void {
  const type = (headers['content-type'] ?? 'text/plain').split(';')[0].trim().toLowerCase();
  if (type.startsWith('multipart/')) {
    const boundary = param(headers['content-type'] ?? '', 'boundary');
    if (!boundary) return;
    const delimiter = `--${boundary}`;
    const sections = body.split(new RegExp(`\\r?\\n?${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // sections[0] is the preamble; a section starting with "--" is the closing delimiter.
    for (const section of sections.slice(1)) {
      if (section.startsWith('--')) break;
      const part = splitEntity(section.replace(/^[ \t]*\r?\n/, ''));
      collectParts(part.headers, part.body, out);
    }
    return;
  }
  if (type !== 'text/plain' && type !== 'text/html') return;
  const decoded = decodeBody(body, headers['content-transfer-encoding'] ?? '7bit', param(headers['content-type'] ?? '', 'charset'));
  if (type === 'text/plain') out.text ??= decoded;
  else out.html ??= decoded;
}

function decodeBody(body: string, encoding: string, charset: string | null): string {
  const enc = encoding.trim().toLowerCase();
  let bytes: Buffer;
  if (enc === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (enc === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  else bytes = Buffer.from(body, 'utf8');
  return new TextDecoder(charset ?? 'utf-8').decode(bytes).replace(/\r\n/g, '\n');
}

export function decodeQuotedPrintable(text: string): Buffer {
  const soft = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const ch = soft[i];
    if (ch === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
      bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes);
}

/** RFC 2047 encoded words; whitespace between two adjacent encoded words is dropped. */
export function decodeWords(value: string): string {
  return value
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?[^?]+\?[bBqQ]\?[^?]*\?=)/g, '$1')
    .replace(/=\?([^?*]+)(?:\*[^?]*)?\?([bBqQ])\?([^?]*)\?=/g, (_, charset: string, enc: string, data: string) => {
      const bytes = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' '));
      return new TextDecoder(charset).decode(bytes);
    });
}
