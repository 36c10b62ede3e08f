/**
 * What the door accepts, derived from where each value is stored, so that nothing a client sends can
 * be refused later by a column or an index (on PostgreSQL such a refusal used to stall projection).
 * test/limits.test.ts sends every limit, and one past it, through the API on both backends.
 *
 * - Identifiers (userId, anonymousId, messageId, previousId, groupId) sit in btree indexes
 *   (identities_pk, events_message, answers_message, groups_pk). A PostgreSQL btree entry holds at
 *   most ~2,700 bytes; 256 characters of up to 4 bytes each plus the workspace id stay well inside.
 * - Event and page names: 200 characters (track names sit in events_track_name_time).
 * - An email is an identity too; RFC 5321 caps a path at 256 octets, 254 for the address itself.
 * - `integer` columns are 32-bit on PostgreSQL (survey versions, CSAT/CES, day counts).
 * - Times are epoch milliseconds in `bigint` columns and must also be JavaScript dates; beyond that,
 *   an event cannot predate the product category nor come from the future (see ACCEPTED_TIMES).
 * - Money is `double precision`: an order's value is bounded so that sums stay finite.
 */
export const LIMITS = {
  identifier: 256,
  eventName: 200,
  email: 254,
  /** Nesting of any JSON body, and of the properties, traits and context it carries. */
  jsonDepth: 32,
  int32: 2_147_483_647,
  /** Largest absolute order value (revenue, total). */
  money: 1e12,
} as const;

/**
 * The window an event's time must fall in: from 2000-01-01 (older data is not NPS data we can use,
 * and a zero or a seconds-for-milliseconds mix-up lands before it) to a day after it was received
 * (clocks drift and zones get mixed up, but a date further ahead is an error that would otherwise
 * become a profile's "last seen" for years).
 */
export const ACCEPTED_TIMES = {
  earliest: Date.UTC(2000, 0, 1),
  aheadMs: 24 * 3600_000,
} as const;

/** Why `ms` is not an acceptable event time when received at `now`, or null. */
export function timeProblem(ms: number, now: number): string | null {
  if (!Number.isFinite(ms)) return 'is not a date';
  if (ms < ACCEPTED_TIMES.earliest) return 'is before 2000-01-01, the earliest time accepted';
  if (ms > now + ACCEPTED_TIMES.aheadMs) return 'is more than 24 hours in the future (times are accepted up to a day ahead of the server clock)';
  return null;
}

/** An integer that fits a 32-bit column, at least `min`. */
export function isInt32(v: unknown, min = -LIMITS.int32 - 1): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= LIMITS.int32;
}
