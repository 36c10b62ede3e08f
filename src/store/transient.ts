/**
 * Errors that say nothing about the data being written, only about the database at that moment:
 * the connection dropped, the server is restarting, a lock or serialisation conflict, SQLite busy.
 * Work that failed this way is retried as it was; any other failure is about what was written
 * and retrying it unchanged would fail for ever (projection sets such a message aside instead).
 */
export function isTransientDbError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  // PostgreSQL SQLSTATE classes: 08 connection exception, 57P0x operator intervention (shutdown,
  // crash, cannot connect now), 53 insufficient resources, 40001 serialisation, 40P01 deadlock,
  // 55P03 lock not available, 57014 statement cancelled (a timeout we set).
  if (/^(08|53)/.test(code) || /^57P0[1-4]$/.test(code) || ['40001', '40P01', '55P03', '57014'].includes(code)) return true;
  // Node's socket errors, from pg before a SQLSTATE exists.
  if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_FULL' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_')) return true;
  const message = typeof e.message === 'string' ? e.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (starting up|shutting down|in recovery mode)|Client was closed and is not queryable|terminating connection/i.test(message);
}

/** The store was closed under the caller (Kysely's "driver has already been destroyed"): a shutdown, not a failure. */
export function isStoreClosedError(err: unknown): boolean {
  return /destroyed/.test(String((err as Error | null)?.message));
}
