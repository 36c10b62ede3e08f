import type { FastifyRequest } from 'fastify';

/** One cookie's value from the Cookie header, or null. */
export function readCookie(request: FastifyRequest, name: string): string | null {
  const header = request.headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Whether the browser reached us over HTTPS: the connection itself, or, when ADVOCATE_TRUST_PROXY
 * tells Fastify to believe the proxy in front, its X-Forwarded-Proto. A Secure cookie over plain
 * HTTP would never come back, so the flag follows what the browser actually used.
 */
export function overHttps(request: FastifyRequest): boolean {
  return request.protocol === 'https';
}

/**
 * A Set-Cookie value for a sign-in cookie: HttpOnly so page scripts (and anything injected into
 * them) cannot read it, SameSite=Lax so other sites' requests other than plain links go without
 * it, Path=/ for the API and the web app alike.
 */
export function sessionCookie(request: FastifyRequest, name: string, value: string, maxAgeSeconds: number): string {
  return [`${name}=${value}`, 'HttpOnly', 'SameSite=Lax', 'Path=/', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`, ...(overHttps(request) ? ['Secure'] : [])].join('; ');
}
