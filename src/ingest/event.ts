import { LIMITS } from '../domain/limits.ts';
import type { MessageType } from './types.ts';

/** A validated message, ready for the writer: identities resolved to strings, time corrected. */
export interface IngestEvent {
  messageId: string;
  type: MessageType;
  /** track: event name; page/screen: page name. */
  name: string | null;
  userId: string | null;
  anonymousId: string | null;
  /** Extra identifiers: identify traits or an answer's person. */
  email: string | null;
  phone: string | null;
  previousId: string | null;
  groupId: string | null;
  properties: Record<string, unknown> | null;
  traits: Record<string, unknown> | null;
  context: Record<string, unknown> | null;
  timestamp: number;
  receivedAt: number;
  /** Present when the message is an NPS answer (a track `NPS Survey Responded` with a valid score). */
  answer: AnswerInput | null;
}

export interface AnswerInput {
  score: number;
  comment: string | null;
  channel: string;
  surveyId: string | null;
  surveyVersion: number | null;
  /** Answer properties other than the ones with their own column. */
  properties: Record<string, unknown>;
  /** CSAT (1–5) and CES (1–7) asked beside NPS, never mixed into it. */
  csat?: number | null;
  ces?: number | null;
  /** The survey contact (link, email, widget showing) this answers. */
  contactId?: string | null;
  /** The journey stage the source system recorded (imports); when set it wins over the workspace's stage rules. */
  stage?: string | null;
}

export interface IngestFailure {
  index: number;
  messageId: string | null;
  type: string | null;
  error: string;
  payload: unknown;
}

export function normaliseEmail(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const s = v.trim().toLowerCase();
  // Longer than an address can be (RFC 5321): not an address, so not an identity either.
  return s.length <= LIMITS.email && /^[^\s@]+@[^\s@]+$/.test(s) ? s : null;
}

/** Phones are kept as digits with a leading + when given, so "+1 (555) 010-2000" and "+15550102000" are one person. */
export function normalisePhone(v: unknown): string | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v).trim();
  const digits = s.replace(/[^\d]/g, '');
  if (digits.length < 6 || digits.length > 15) return null;
  return (s.startsWith('+') ? '+' : '') + digits;
}
