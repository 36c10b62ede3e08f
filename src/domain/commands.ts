/**
 * Writes that are not events: each is applied by the writer (store/writer.ts), in the same single
 * write path as projection, and announced on the bus like it.
 */
export interface AnswerPatch {
  score?: number;
  comment?: string | null;
  csat?: number | null;
  ces?: number | null;
}

export type Command =
  /** A comment added or edited, a second click on another score in an email. */
  | { type: 'answer.edit'; answerId: string; patch: AnswerPatch; at: number }
  /** A person's email changed in place (Delighted's people update): their identity follows. */
  | { type: 'person.email'; profileId: string; from: string; to: string }
  /** A person erased everywhere (store/erase.ts says what that covers). */
  | { type: 'person.erase'; profileId: string };
