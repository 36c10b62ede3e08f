import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import { Ajv } from 'ajv';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { answerRoutes } from './answers.ts';
import { accessOf, KeyCache, neededRole, type Access } from './auth.ts';
import { signInRoutes } from './sign-in.ts';
import { userRoutes } from './users.ts';
import { liveRoutes } from './live.ts';
import { closeConnectionsOnShutdown } from './shutdown.ts';
import type { Role } from '../domain/roles.ts';
import { errorHandler } from './errors.ts';
import { checkFraming, checkRequestText, useStrictJson } from './request-text.ts';
import { metricsRoutes } from './metrics.ts';
import { driverRoutes } from './drivers.ts';
import { impactRoutes } from './impact.ts';
import { savedSegmentRoutes } from './segments.ts';
import { traitRoutes } from './traits.ts';
import { churnRoutes } from './churn.ts';
import { textRoutes } from './text.ts';
import { themeRoutes } from './themes.ts';
import { profileRoutes } from './profiles.ts';
import { segmentSpecRoutes } from './segment-spec.ts';
import { workspaceRoutes } from './workspace.ts';
import { homePage } from './home.ts';
import { responseRoutes } from './responses.ts';
import { surveyRoutes } from './surveys.ts';
import { sendRoutes } from './sends.ts';
import { delightedRoutes } from './delighted.ts';
import { widgetAsset } from './widget-asset.ts';
import { webApp } from './web-app.ts';
import { pageRoutes } from './pages.ts';
import { smsInboundRoutes } from './sms-inbound.ts';
import { createServices, type ServiceOptions, type Services } from '../server.ts';

export interface HttpOptions {
  /** pino options (see loggerFrom); false (the default, for tests) logs nothing. */
  logger?: false | { level: string };
  /** Which proxies to believe about the client (X-Forwarded-For/-Proto); defaults to ADVOCATE_TRUST_PROXY. */
  trustProxy?: boolean | string | ((address: string, hop: number) => boolean);
}

/**
 * The services the routes use (src/server.ts), made here from their options or made beforehand (the
 * CLI loads the demo through them first). Either way the app starts them when it is ready and
 * stops them when it closes.
 */
export type AppOptions = HttpOptions & (ServiceOptions | { services: Services });

/**
 * ADVOCATE_TRUST_PROXY: a number is how many proxies stand in front (1: believe the one that
 * connects), "true" believes every hop, anything else is a list of proxy addresses or ranges.
 * Unset, forwarded headers are ignored: anyone could send them.
 */
export function trustProxyFrom(value: string | undefined): NonNullable<AppOptions['trustProxy']> {
  const v = value?.trim() ?? '';
  if (v === '' || v === '0' || v.toLowerCase() === 'false') return false;
  if (v.toLowerCase() === 'true') return true;
  if (!/^\d+$/.test(v)) return v;
  const hops = Number(v);
  return (_address: string, hop: number) => hop < hops;
}

/**
 * LOG_LEVEL, default info: one JSON line per start and stop, and per 5xx with its request id. Each
 * request gets a line of its own only at debug or trace: at info they would drown the errors.
 */
export function loggerFrom(level: string | undefined): { level: string } {
  return { level: level?.trim() || 'info' };
}

export interface App {
  app: FastifyInstance;
  /** Every route as registered, for checking the OpenAPI document against. */
  routes: Array<{ method: string; url: string; hidden: boolean; auth?: { kind: Access['kind']; sessions: Access['sessions']; role: Role } }>;
  keys: KeyCache;
  services: Services;
}

export async function buildApp(options: AppOptions): Promise<App> {
  const services = 'services' in options ? options.services : createServices(options);
  const { store, writer, bus, engine, members, traits, delivery } = services;
  const logLevel = options.logger ? options.logger.level : 'silent';
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: logLevel !== 'debug' && logLevel !== 'trace' }),
    // Unique across processes and restarts, so a reported id finds one line in merged logs.
    genReqId: () => randomUUID(),
    bodyLimit: 1024 * 1024,
    // Survey tokens travel in paths (/api/v1/responses/:token, emailed links).
    routerOptions: { maxParamLength: 2048 },
    trustProxy: options.trustProxy ?? trustProxyFrom(process.env.ADVOCATE_TRUST_PROXY),
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Query strings and paths are text, so their numbers are coerced; a body's types are the
  // client's own and must be right as sent (a score of "9" is refused, not guessed).
  const lenient = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  const exact = new Ajv({ coerceTypes: false, useDefaults: true, removeAdditional: false, allErrors: false, strict: false });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? exact : lenient).compile(schema) as any);
  const keys = new KeyCache(store);

  const routes: App['routes'] = [];
  app.addHook('onRoute', (r) => {
    const access = accessOf(r.preValidation);
    const schema = r.schema as { hide?: boolean; security?: Array<Record<string, string[]>> } | undefined;
    // Routes a dashboard session may call say so in the OpenAPI document, from the rule they carry.
    if (access && access.sessions !== 'never' && schema?.security?.length && !schema.security.some((s) => 'sessionCookie' in s)) {
      schema.security = access.sessions === 'only' ? [{ sessionCookie: [] }] : [...schema.security, { sessionCookie: [] }];
    }
    for (const method of [r.method].flat()) {
      if (method === 'HEAD') continue;
      routes.push({ method, url: r.url, hidden: !!schema?.hide, ...(access ? { auth: { kind: access.kind, sessions: access.sessions, role: neededRole(access, method) } } : {}) });
    }
  });
  app.setErrorHandler(errorHandler);
  useStrictJson(app);
  app.addHook('onRequest', checkFraming);
  app.addHook('preValidation', checkRequestText);
  // Every 5xx is logged here, once, with the error that caused it when one was thrown (whichever
  // error handler turned it into a reply), and the route pattern rather than the URL: paths carry survey tokens.
  const failures = new WeakMap<FastifyRequest, Error>();
  app.addHook('onError', async (request, _reply, error) => {
    failures.set(request, error);
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode < 500) return;
    const route = request.routeOptions.url ?? null;
    request.log.error(
      { err: failures.get(request), statusCode: reply.statusCode, method: request.method, route, responseTime: Math.round(reply.elapsedTime) },
      `${request.method} ${route ?? '(no route)'} answered ${reply.statusCode}`,
    );
  });
  // Browsers must take JSON, CSV and the rest as the type they are sent as, never sniff them into HTML.
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-request-id', request.id);
    return payload;
  });
  services.listeningAt(() => app.server.address());
  app.addHook('onReady', () => services.start());
  app.addHook('onClose', () => services.stop());
  closeConnectionsOnShutdown(app);
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `No route ${request.method} ${request.url.split('?')[0]}` });
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Advocate API',
        version: '0.1.0',
        description: 'NPS program built into a customer data platform. Segment-spec ingestion under /v1, the Advocate API under /api/v1.',
      },
      components: {
        securitySchemes: {
          basicAuth: { type: 'http', scheme: 'basic', description: 'Key as the username, empty password' },
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Key as a Bearer token' },
          sessionCookie: { type: 'apiKey', in: 'cookie', name: 'adv_session', description: 'Dashboard sign-in (POST /api/v1/session). Changes also need the X-CSRF-Token header; X-Advocate-Workspace picks one of the user\'s workspaces.' },
        },
      },
    },
  });

  app.get('/health', { schema: { tags: ['meta'], summary: 'Liveness and the storage backend' } }, async () => ({ ok: true, backend: store.backend }));
  app.get('/openapi.json', { schema: { tags: ['meta'], summary: 'This OpenAPI document' } }, async () => app.swagger());
  await app.register(homePage);

  await app.register(segmentSpecRoutes, { writer, keys, delivery });
  await app.register(answerRoutes, { store, writer, keys });
  await app.register(profileRoutes, { store, keys, writer });
  await app.register(metricsRoutes, { store, keys, engine, members, traits });
  await app.register(driverRoutes, { store, keys, engine, members, traits });
  await app.register(traitRoutes, { keys, engine, traits });
  await app.register(impactRoutes, { store, keys, engine });
  await app.register(savedSegmentRoutes, { store, keys, engine, members });
  await app.register(churnRoutes, { store, keys, engine });
  await app.register(textRoutes, { db: store.db, keys, models: services.textModels });
  await app.register(themeRoutes, { db: store.db, keys, models: services.textModels });
  await app.register(workspaceRoutes, { store, keys, writer });
  await app.register(signInRoutes, { store, keys });
  await app.register(userRoutes, { store, keys });
  await app.register(liveRoutes, { store, keys, bus });
  await app.register(surveyRoutes, { store, keys });
  await app.register(responseRoutes, { store, writer, keys });
  await app.register(sendRoutes, { keys, delivery });
  await app.register(delightedRoutes, { store, writer, keys, delivery, engine });
  await app.register(widgetAsset);
  await app.register(webApp);
  await app.register(pageRoutes, { store, writer, keys, delivery });
  await app.register(smsInboundRoutes, { delivery });
  return { app, keys, routes, services };
}
