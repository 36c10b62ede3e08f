import type { Store } from './db.ts';

/**
 * The recent messageIds of the embedded (single-process) server, per workspace, in memory.
 * Redeliveries come from client retries, seconds to hours after the first send, so a window of the
 * last 24 hours (bounded in count) catches them without a random-key index on every event.
 * PostgreSQL deployments use a unique index instead (several processes share one database).
 */
export class MessageWindow {
  private readonly keys: string[] = [];
  private readonly times: number[] = [];
  private head = 0;
  private readonly set = new Set<string>();

  constructor(
    readonly capacity = Number(process.env.ADVOCATE_DEDUPE_WINDOW ?? 1_000_000),
    readonly maxAgeMs = 24 * 3_600_000,
  ) {}

  private static key(workspaceId: string, messageId: string) {
    return `${workspaceId}\u0000${messageId}`;
  }

  has(workspaceId: string, messageId: string): boolean {
    return this.set.has(MessageWindow.key(workspaceId, messageId));
  }

  add(workspaceId: string, messageId: string, at: number): void {
    const k = MessageWindow.key(workspaceId, messageId);
    if (this.set.has(k)) return;
    this.set.add(k);
    this.keys.push(k);
    this.times.push(at);
    while (this.keys.length - this.head > this.capacity || (this.head < this.keys.length && this.times[this.head] < at - this.maxAgeMs)) {
      this.set.delete(this.keys[this.head]);
      this.head++;
    }
    // Compact now and then so the arrays do not grow with everything ever seen.
    if (this.head > 65_536 && this.head * 2 > this.keys.length) {
      this.keys.splice(0, this.head);
      this.times.splice(0, this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.set.size;
  }
}

const windows = new WeakMap<Store, Promise<MessageWindow>>();

/** The window of a SQLite store, filled from the newest events at first use (so a restart keeps it). */
export function messageWindow(store: Store): Promise<MessageWindow> {
  let w = windows.get(store);
  if (!w) {
    w = (async () => {
      const window = new MessageWindow();
      const since = Date.now() - window.maxAgeMs;
      // Newest first by insertion order, then replayed oldest first so eviction order is kept.
      const rows = store
        .sqlite!.prepare('select workspace_id, message_id, received_at from events where received_at >= ? order by rowid desc limit ?')
        .all(since, window.capacity) as Array<{ workspace_id: string; message_id: string; received_at: number }>;
      for (let i = rows.length - 1; i >= 0; i--) window.add(rows[i].workspace_id, rows[i].message_id, rows[i].received_at);
      return window;
    })();
    windows.set(store, w);
  }
  return w;
}
