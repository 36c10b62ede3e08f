/**
 * Sends one email over SMTP and says what the outcome means for the outbox: delivered, failed
 * for good (and whether the address itself bounced), or worth retrying.
 */
import nodemailer, { type NodemailerError, type SMTPTransportOptions, type Transporter } from 'nodemailer';

export interface SmtpSettings {
  host: string;
  port: number;
  /** TLS from the first byte (port 465); otherwise STARTTLS is used when the server offers it. */
  secure?: boolean;
  user?: string | null;
  pass?: string | null;
  /** Sender, e.g. `"Acme" <nps@acme.example>`. */
  from: string;
  /** Refuse to send unless the server upgrades to TLS with STARTTLS. */
  requireTls?: boolean;
}

export type DeliveryResult =
  | { ok: true; providerId: string | null }
  | { ok: false; permanent: boolean; bounce: boolean; error: string; unsubscribed?: boolean };

export type DeliveryFailure = Extract<DeliveryResult, { ok: false }>;

export interface EmailMessage {
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
  /** Becomes the Message-ID (`<id@advocate>` or a bare `id@advocate`), so a retry is recognisable. */
  messageId?: string;
}

export interface MailerOptions {
  /** Connection, greeting and inactivity timeout in ms; default 10 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TRANSPORTS = 50;
const transports = new Map<string, Transporter>();

function transportFor(settings: SmtpSettings, timeoutMs: number): Transporter {
  const key = JSON.stringify([settings.host, settings.port, !!settings.secure, settings.user ?? null, settings.pass ?? null, !!settings.requireTls, timeoutMs]);
  let transport = transports.get(key);
  if (!transport) {
    const options: SMTPTransportOptions = {
      host: settings.host,
      port: settings.port,
      secure: !!settings.secure,
      requireTLS: !!settings.requireTls,
      auth: settings.user ? { user: settings.user, pass: settings.pass ?? '' } : undefined,
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
      // Messages are built from our own strings; never let a field make nodemailer read a file or URL.
      disableFileAccess: true,
      disableUrlAccess: true,
      pool: true,
    } as SMTPTransportOptions;
    // Pooled: a connection is kept open and reused, which took a message from about 108 ms to
    // 6 ms against a local server (an audience run sends thousands). The cap keeps a long-lived
    // process with many changing settings from holding connections without bound.
    if (transports.size >= MAX_TRANSPORTS) closeMailTransports();
    transport = nodemailer.createTransport(options);
    transports.set(key, transport);
  }
  return transport;
}

/** Closes every pooled SMTP connection (on shutdown, or when the cache is full). */
export function closeMailTransports(): void {
  for (const t of transports.values()) t.close();
  transports.clear();
}

export async function sendEmail(settings: SmtpSettings, message: EmailMessage, options: MailerOptions = {}): Promise<DeliveryResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const messageId = message.messageId ? `<${message.messageId.replace(/^<|>$/g, '')}>` : undefined;
  try {
    const info = await transportFor(settings, timeoutMs).sendMail({
      from: settings.from,
      to: message.to,
      subject: message.subject,
      html: message.html,
      text: message.text,
      headers: message.headers,
      messageId,
    });
    return { ok: true, providerId: info.serverMessageId ?? info.messageId ?? null };
  } catch (err) {
    return classifySmtpError(err as NodemailerError, settings, timeoutMs);
  }
}

const fail = (permanent: boolean, bounce: boolean, error: string): DeliveryFailure => ({ ok: false, permanent, bounce, error });

/** First line of a server reply, without runs of whitespace, short enough for a status column. */
function reply(err: NodemailerError): string {
  const text = (err.response ?? err.message ?? '').replace(/\s+/g, ' ').trim();
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

export function classifySmtpError(err: NodemailerError, settings: Pick<SmtpSettings, 'host' | 'port'>, timeoutMs = DEFAULT_TIMEOUT_MS): DeliveryFailure {
  const where = `${settings.host}:${settings.port}`;
  const code = err.responseCode ?? 0;
  const command = (err.command ?? '').toUpperCase();
  const rcptOrData = command.startsWith('RCPT') || command === 'DATA' || err.code === 'EMESSAGE';

  if (code >= 500 && code !== 503) {
    const text = `SMTP ${reply(err)}`;
    if (err.code === 'EAUTH' || command.startsWith('AUTH')) return fail(true, false, `${text} (authentication failed)`);
    if (command.startsWith('MAIL')) return fail(true, false, `${text} (sender rejected)`);
    if (rcptOrData) {
      // x.3 (system, e.g. too big), x.6 (content) and x.7 (policy, e.g. "relaying denied" for a
      // misconfigured relay, or spam) are about us or the message, not about the address.
      const notTheAddress = /^\d{3}[ -]5\.[367]\./.test(err.response ?? '');
      return fail(true, !notTheAddress, `${text} (${command.startsWith('RCPT') ? 'recipient' : 'message'} rejected)`);
    }
    return fail(true, false, `${text} (server refused ${command || 'the connection'})`);
  }
  if (code >= 400) return fail(false, false, `SMTP ${reply(err)} (temporary failure)`);

  const cause = err.originalCode ?? err.code;
  switch (err.code) {
    case 'EAUTH':
    case 'ENOAUTH':
      return fail(true, false, `SMTP authentication with ${where} failed: ${reply(err)}`);
    case 'ETLS':
    case 'EREQUIRETLS':
      return fail(true, false, `TLS with ${where} failed: ${reply(err)}`);
    case 'ECONFIG':
      return fail(true, false, `SMTP settings are invalid: ${reply(err)}`);
    case 'EENVELOPE':
      // Refused before anything was sent: no usable recipient address.
      return fail(true, true, `recipient address refused: ${reply(err)}`);
    case 'ETIMEDOUT':
      return fail(false, false, `${where} did not answer within ${Math.round(timeoutMs / 100) / 10} s`);
    case 'EDNS':
      return fail(false, false, `could not resolve ${settings.host}: ${cause ?? reply(err)}`);
  }
  if (cause === 'ECONNREFUSED') return fail(false, false, `connection to ${where} refused`);
  if (err.code === 'ECONNECTION' || cause === 'ECONNRESET' || cause === 'EPIPE') {
    return fail(false, false, `connection to ${where} closed before the message was accepted`);
  }
  return fail(false, false, `SMTP error with ${where}: ${cause ? `${cause} ` : ''}${reply(err)}`);
}
