/** An epoch-ms time (a number, or a bigint column read as text) as ISO 8601, null kept null. */
export const isoOrNull = (ms: number | string | null | undefined): string | null => (ms == null ? null : new Date(Number(ms)).toISOString());
