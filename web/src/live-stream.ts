import { currentWorkspace } from './api.ts';

export type StreamStatus = 'connecting' | 'live' | 'retrying' | 'closed';

/**
 * Server-sent events read with fetch rather than EventSource: EventSource cannot send headers,
 * and the workspace the dashboard works in travels in X-Advocate-Workspace. Reconnects like
 * EventSource does (the server's `retry:`, Last-Event-ID so nothing is missed), and stops for
 * good on 401/403, where retrying cannot help.
 */
export function openStream(path: string, on: { event(name: string, data: string): void; status(s: StreamStatus, detail?: string): void }): () => void {
  const ctrl = new AbortController();
  let lastId = '';
  let retryMs = 2000;

  async function connect(): Promise<void> {
    while (!ctrl.signal.aborted) {
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' };
        const ws = currentWorkspace();
        if (ws) headers['x-advocate-workspace'] = ws;
        if (lastId) headers['last-event-id'] = lastId;
        const res = await fetch(path, { headers, credentials: 'same-origin', signal: ctrl.signal, cache: 'no-store' });
        if (res.status === 401 || res.status === 403) {
          const body = await res.json().catch(() => null) as { message?: string } | null;
          on.status('closed', body?.message ?? `${res.status}`);
          return;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        on.status('live');
        await read(res.body);
      } catch (err) {
        if (ctrl.signal.aborted) return;
        void err;
      }
      if (ctrl.signal.aborted) return;
      on.status('retrying');
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }

  async function read(body: ReadableStream<Uint8Array>): Promise<void> {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 'message';
    let data: string[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) on.event(event, data.join('\n'));
          event = 'message';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const v = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = v;
        else if (field === 'data') data.push(v);
        else if (field === 'id') lastId = v;
        else if (field === 'retry' && /^\d+$/.test(v)) retryMs = Number(v);
      }
    }
  }

  on.status('connecting');
  void connect();
  return () => ctrl.abort();
}
