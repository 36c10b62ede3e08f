/** A server-sent event as a client sees it (comments kept apart, for pings). */
export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
  /** The block exactly as it came */
  raw: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Resolves with the next `event:` event not read before, or rejects after timeoutMs. */
  next(timeoutMs?: number): Promise<SseEvent>;
  /** Everything received, as text. */
  text(): string;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Opens an event stream with fetch and parses it as it arrives, as EventSource would. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  let received = '';
  let read = 0;
  const waiter: { wake: (() => void) | null } = { wake: null };
  const ended = (async () => {
    if (!res.body) return;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        received += value;
        buffer += value;
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const raw = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          const e: SseEvent = { comments: [], raw };
          for (const line of raw.split('\n')) {
            if (line.startsWith(':')) e.comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              const field = colon < 0 ? line : line.slice(0, colon);
              const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
              if (field === 'data') e.data = e.data == null ? value : `${e.data}\n${value}`;
              else if (field === 'id' || field === 'event' || field === 'retry') e[field] = value;
            }
          }
          events.push(e);
          waiter.wake?.();
        }
      }
    } catch {
      /* aborted */
    } finally {
      waiter.wake?.();
    }
  })();
  let finished = false;
  void ended.then(() => (finished = true));
  return {
    status: res.status,
    headers: res.headers,
    events,
    text: () => received,
    ended,
    close: () => abort.abort(),
    async next(timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (read < events.length) {
          const e = events[read++];
          if (e.event) return e;
        }
        if (finished) throw new Error('the stream ended');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, left);
          waiter.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        waiter.wake = null;
      }
    },
  };
}
