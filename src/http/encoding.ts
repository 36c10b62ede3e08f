/**
 * Content negotiation for files served as they are (the widget, the dashboard): which precompressed
 * representation to send, and whether the client's copy is still good.
 */

export type Encoding = 'br' | 'gzip' | null;

/** The best encoding both sides have: brotli, then gzip; q=0 refuses one, `*` stands for the rest. */
export function pickEncoding(header: string | undefined, have: { br: boolean; gz: boolean }): Encoding {
  const accepted = new Map<string, number>();
  for (const part of (header ?? '').toLowerCase().split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim());
    if (!coding) continue;
    const q = params.find((p) => p.startsWith('q='));
    accepted.set(coding, q ? Number(q.slice(2)) : 1);
  }
  const ok = (c: string) => (accepted.get(c) ?? accepted.get('*') ?? 0) > 0;
  if (have.br && ok('br')) return 'br';
  if (have.gz && ok('gzip')) return 'gzip';
  return null;
}

/** If-None-Match with weak comparison (a proxy may have weakened our tag), or "*". */
export function notModified(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim().replace(/^W\//, '');
    return tag === '*' || tag === etag;
  });
}
