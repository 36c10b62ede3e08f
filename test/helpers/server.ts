import type { AddressInfo } from 'node:net';
import { buildApp, loggerFrom, type App, type HttpOptions } from '../../src/http/app.ts';
import type { ServiceOptions, Services } from '../../src/server.ts';
import type { Bus } from '../../src/store/bus.ts';
import type { Store } from '../../src/store/db.ts';
import { createKey, createWorkspace } from '../../src/store/workspaces.ts';

export interface TestWorkspace {
  id: string;
  writeKey: string;
  secretKey: string;
}

export interface TestServer {
  url: string;
  ws: TestWorkspace;
  other: TestWorkspace;
  store: Store;
  /** Every route of the app, with the access rule it declares. */
  routes: App['routes'];
  /** Waits until every accepted event is projected onto its profile. */
  settle(): Promise<void>;
  /** Brings the bus's durable consumers (survey triggers, annotations) up to date, then runs the clock's tasks (due schedules) once now, or as if it were `now`. */
  tick(now?: number): Promise<void>;
  /** The app's services (writer, bus, engine, outbox, clock): src/server.ts. */
  services: Services;
  bus: Bus;
  close(): Promise<void>;
  /** fetch against the server with a key as HTTP Basic username. */
  call(method: string, path: string, key?: string | null, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string; headers: Headers }>;
}

export async function workspaceWithKeys(store: Store, name: string): Promise<TestWorkspace> {
  const ws = await createWorkspace(store.db, name);
  const write = await createKey(store.db, ws.id, 'write', 'test write');
  const secret = await createKey(store.db, ws.id, 'secret', 'test secret');
  return { id: ws.id, writeKey: write.key, secretKey: secret.key };
}

export const basic = (key: string) => 'Basic ' + Buffer.from(`${key}:`).toString('base64');

export type Call = TestServer['call'];

/**
 * fetch against a server with a key as HTTP Basic username and a JSON body. Reads of the API wait
 * for the writer first, so they see what was sent before them (events reach profiles in the background).
 */
export function keyedCaller(url: string, writer: { settled(): Promise<void> }): Call {
  return async (method, path, key, body, headers = {}) => {
    const h: Record<string, string> = { ...headers };
    if (key) h.authorization = basic(key);
    let payload: string | Buffer | undefined;
    if (body !== undefined) {
      payload = Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    if (method === 'GET' && path.startsWith('/api/')) await writer.settled();
    const res = await fetch(url + path, { method, headers: h, body: payload as BodyInit | undefined });
    const text = await res.text();
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON: tests read text */
    }
    return { status: res.status, json, text, headers: res.headers };
  };
}

/** A real server on a loopback port, with two workspaces so every test can also try the other one's data. */
export async function startServer(store: Store, options: HttpOptions & Omit<ServiceOptions, 'store'> = {}): Promise<TestServer> {
  const ws = await workspaceWithKeys(store, 'Test');
  const other = await workspaceWithKeys(store, 'Other');
  // Quiet unless a developer asks with ADVOCATE_TEST_LOG=1 (then at LOG_LEVEL, default info).
  const logger = process.env.ADVOCATE_TEST_LOG && process.env.ADVOCATE_TEST_LOG !== '0' ? loggerFrom(process.env.LOG_LEVEL) : false;
  const { app, routes, services } = await buildApp({ store, logger, ...options });
  const { writer, bus } = services;
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    url,
    ws,
    other,
    store,
    routes,
    settle: () => writer.settled(),
    services,
    bus,
    tick: (now) => services.catchUp(now),
    async close() {
      await app.close(); // drains and closes the writer
    },
    call: keyedCaller(url, writer),
  };
}
