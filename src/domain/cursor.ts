/**
 * A keyset page position, a number (a time, a risk) and the id that breaks ties, as an opaque
 * token: clients pass back the one they were given, never build one.
 */
export function encodeCursor(n: number, id: string): string {
  return Buffer.from(`${n}:${id}`).toString('base64url');
}

/** The position in a token made by encodeCursor, or null when it is not one. */
export function decodeCursor(token: string): { n: number; id: string } | null {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const n = Number(text.slice(0, colon));
  return colon > 0 && colon < text.length - 1 && Number.isFinite(n) ? { n, id: text.slice(colon + 1) } : null;
}
