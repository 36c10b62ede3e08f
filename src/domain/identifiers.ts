import { LIMITS } from './limits.ts';

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
