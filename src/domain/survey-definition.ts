import { Type, type Static } from '@sinclair/typebox';

/**
 * What a survey owner sets. Every field has a default, so `{ name }` alone is a working NPS
 * survey on the web and by link; a new version is stored whenever the definition changes and
 * each answer records the version it answered. The wording built into each language, and
 * rendering, are in surveys/definition.ts.
 */

const Text = (max = 500) => Type.String({ minLength: 1, maxLength: max });
export const PerCategory = Type.Union([
  Text(),
  Type.Object({ promoter: Type.Optional(Text()), passive: Type.Optional(Text()), detractor: Type.Optional(Text()) }, { additionalProperties: false }),
]);

export const SurveyTexts = Type.Object(
  {
    question: Type.Optional(Text()),
    lowLabel: Type.Optional(Text(80)),
    highLabel: Type.Optional(Text(80)),
    followUp: Type.Optional(PerCategory),
    thankYou: Type.Optional(PerCategory),
    csatQuestion: Type.Optional(Text()),
    cesQuestion: Type.Optional(Text()),
    emailSubject: Type.Optional(Text(200)),
    submit: Type.Optional(Text(40)),
    close: Type.Optional(Text(40)),
    commentPlaceholder: Type.Optional(Text(120)),
  },
  { additionalProperties: false, description: 'Wording in one language; anything left out uses the built-in wording of that language (or English).' },
);

export const CONDITION_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'contains', 'in', 'exists', 'not_exists'] as const;
export const Condition = Type.Object(
  {
    field: Type.String({ minLength: 1, maxLength: 200, description: '`traits.<key>`, or a computed trait: orderCount, lifetimeRevenue, daysSinceLastOrder, tenureDays, journeyStage, latestNpsScore, latestNpsCategory' }),
    op: Type.Union(CONDITION_OPS.map((o) => Type.Literal(o))),
    value: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: false },
);
export type Condition = Static<typeof Condition>;

const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);

const LANGUAGE = '^[a-z]{2}(-[A-Za-z]{2,4})?$';

export const SurveyDefinitionInput = Type.Object(
  {
    name: Text(200),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('archived')])),
    defaultLanguage: Type.Optional(Type.String({ pattern: LANGUAGE })),
    // Keys that are no language code are refused: unchecked, they were stored and broke every later reply.
    texts: Type.Optional(Type.Record(Type.String({ pattern: LANGUAGE }), SurveyTexts, { additionalProperties: false })),
    companyName: Type.Optional(Type.Union([Type.Null(), Text(120)], { description: 'Name used in the wording; the workspace name when unset' })),
    csat: Type.Optional(Type.Boolean({ description: 'Also ask customer satisfaction (1–5)' })),
    ces: Type.Optional(Type.Boolean({ description: 'Also ask customer effort (1–7)' })),
    promoterLink: Type.Optional(Type.Union([Type.Null(), Type.Object({ url: Type.String({ pattern: '^https?://', maxLength: 2000 }), label: Text(80) }, { additionalProperties: false })])),
    brandColor: Type.Optional(Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })),
    channels: Type.Optional(
      Type.Object(
        {
          web: Type.Optional(Type.Object({
            enabled: Type.Optional(Type.Boolean()),
            delaySeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
            urlContains: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 50, description: 'Show only on pages whose URL contains one of these' })),
            urlExcludes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 500 }), { maxItems: 50 })),
            onEvent: Type.Optional(Type.Union([Type.Null(), Text(200)], { description: 'Show only right after this event is tracked on the page' })),
          }, { additionalProperties: false })),
          app: Type.Optional(Type.Object({
            enabled: Type.Optional(Type.Boolean()),
            screens: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 50, description: 'Show only on these screens of a mobile or desktop app (empty: any)' })),
            onEvent: Type.Optional(Type.Union([Type.Null(), Text(200)], { description: 'Show only right after this event' })),
          }, { additionalProperties: false })),
          email: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
          sms: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
          link: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false })),
          kiosk: Type.Optional(Type.Object({ enabled: Type.Optional(Type.Boolean()), resetSeconds: Type.Optional(Type.Integer({ minimum: 2, maximum: 600 })) }, { additionalProperties: false })),
        },
        { additionalProperties: false },
      ),
    ),
    targeting: Type.Optional(Type.Array(Condition, { maxItems: 50, description: 'All must hold for a person to be asked' })),
    sampleRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Share of eligible people asked (decided per person, so stable)' })),
    recontactDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650, description: 'Days before this survey may ask the same person again' })),
    triggers: Type.Optional(Type.Array(Type.Object({
      event: Text(200),
      delayHours: Type.Number({ minimum: 0, maximum: 24 * 365 }),
      channel: Channel,
    }, { additionalProperties: false }), { maxItems: 20, description: 'Send after an event, e.g. 72 hours after Order Delivered' })),
    schedule: Type.Optional(Type.Union([Type.Null(), Type.Object({
      everyDays: Type.Integer({ minimum: 1, maximum: 3650, description: 'e.g. 91 for a quarterly relationship survey' }),
      channel: Channel,
      startAt: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 date-time of the first send' })),
    }, { additionalProperties: false })])),
    tokenTtlDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365, description: 'How long an emailed or texted link stays valid' })),
  },
  { additionalProperties: false },
);
export type SurveyDefinitionInput = Static<typeof SurveyDefinitionInput>;

/** The stored definition: the input with every default filled in. */
export interface SurveyDefinition {
  name: string;
  defaultLanguage: string;
  texts: Record<string, Static<typeof SurveyTexts>>;
  companyName: string | null;
  csat: boolean;
  ces: boolean;
  promoterLink: { url: string; label: string } | null;
  brandColor: string;
  channels: {
    web: { enabled: boolean; delaySeconds: number; urlContains: string[]; urlExcludes: string[]; onEvent: string | null };
    app: { enabled: boolean; screens: string[]; onEvent: string | null };
    email: { enabled: boolean };
    sms: { enabled: boolean };
    link: { enabled: boolean };
    kiosk: { enabled: boolean; resetSeconds: number };
  };
  targeting: Condition[];
  sampleRate: number;
  recontactDays: number;
  triggers: Array<{ event: string; delayHours: number; channel: 'email' | 'sms' }>;
  schedule: { everyDays: number; channel: 'email' | 'sms'; startAt?: string } | null;
  tokenTtlDays: number;
}

export function normaliseDefinition(input: SurveyDefinitionInput): SurveyDefinition {
  const c = input.channels ?? {};
  return {
    name: input.name,
    defaultLanguage: input.defaultLanguage ?? 'en',
    // Only language codes (what the input schema allows): a definition stored before that rule may hold others.
    texts: Object.fromEntries(Object.entries(input.texts ?? {}).filter(([lang]) => new RegExp(LANGUAGE).test(lang))),
    companyName: input.companyName ?? null,
    csat: input.csat ?? false,
    ces: input.ces ?? false,
    promoterLink: input.promoterLink ?? null,
    brandColor: input.brandColor ?? '#4338ca',
    channels: {
      web: {
        enabled: c.web?.enabled ?? true,
        delaySeconds: c.web?.delaySeconds ?? 3,
        urlContains: c.web?.urlContains ?? [],
        urlExcludes: c.web?.urlExcludes ?? [],
        onEvent: c.web?.onEvent ?? null,
      },
      app: { enabled: c.app?.enabled ?? true, screens: c.app?.screens ?? [], onEvent: c.app?.onEvent ?? null },
      email: { enabled: c.email?.enabled ?? true },
      sms: { enabled: c.sms?.enabled ?? true },
      link: { enabled: c.link?.enabled ?? true },
      kiosk: { enabled: c.kiosk?.enabled ?? true, resetSeconds: c.kiosk?.resetSeconds ?? 8 },
    },
    targeting: input.targeting ?? [],
    sampleRate: input.sampleRate ?? 1,
    recontactDays: input.recontactDays ?? 90,
    triggers: input.triggers ?? [],
    schedule: input.schedule ?? null,
    tokenTtlDays: input.tokenTtlDays ?? 30,
  };
}
