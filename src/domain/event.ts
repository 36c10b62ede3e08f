// What the write path takes and stores: a validated message, whatever its wire format (Segment,
// Delighted, CSV, the answers API), and the names of the events the store reads back.

/** The Segment spec's message types, which every wire format is read into. */
export type MessageType = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';

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

/** The event name that carries an NPS answer (API-COMPAT.md, "Events we emit on profiles"). */
export const NPS_RESPONDED = 'NPS Survey Responded';
export const ORDER_COMPLETED = 'Order Completed';
