import { Type, type Static } from '@sinclair/typebox';
import { Condition, SurveyTexts, type SurveyDefinition } from '../domain/survey-definition.ts';
import { Nullable } from './nullable.ts';

// Replies of the survey routes (src/http/surveys.ts, sends.ts and pages.ts).

const Channel = Type.Union([Type.Literal('email'), Type.Literal('sms')]);
const Enabled = Type.Object({ enabled: Type.Boolean() });

/** A stored definition: what was sent with every default filled in (src/domain/survey-definition.ts normaliseDefinition). */
export const StoredDefinition = Type.Object({
  name: Type.String(),
  defaultLanguage: Type.String(),
  texts: Type.Record(Type.String(), SurveyTexts, { description: 'Wording per language as set; what is left out is the built-in wording' }),
  companyName: Nullable(Type.String()),
  csat: Type.Boolean(),
  ces: Type.Boolean(),
  promoterLink: Nullable(Type.Object({ url: Type.String(), label: Type.String() })),
  brandColor: Type.String(),
  channels: Type.Object({
    web: Type.Object({ enabled: Type.Boolean(), delaySeconds: Type.Integer(), urlContains: Type.Array(Type.String()), urlExcludes: Type.Array(Type.String()), onEvent: Nullable(Type.String()) }),
    app: Type.Object({ enabled: Type.Boolean(), screens: Type.Array(Type.String()), onEvent: Nullable(Type.String()) }),
    email: Enabled,
    sms: Enabled,
    link: Enabled,
    kiosk: Type.Object({ enabled: Type.Boolean(), resetSeconds: Type.Integer() }),
  }),
  targeting: Type.Array(Condition),
  sampleRate: Type.Number(),
  recontactDays: Type.Integer(),
  triggers: Type.Array(Type.Object({ event: Type.String(), delayHours: Type.Number(), channel: Channel })),
  schedule: Nullable(Type.Object({ everyDays: Type.Integer(), channel: Channel, startAt: Type.Optional(Type.String()) })),
  tokenTtlDays: Type.Integer(),
});
// The definition's interface lives beside the code that fills its defaults: this schema must say the same.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Holds<T extends true> = T;
export type StoredDefinitionMatches = Holds<Same<Static<typeof StoredDefinition>, SurveyDefinition>>;

export const SurveyView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('archived')]),
  version: Type.Integer(),
  definition: StoredDefinition,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export const SurveyReply = Type.Object({ survey: SurveyView });
export const SurveyList = Type.Object({ items: Type.Array(SurveyView) });
export const SurveyDetail = Type.Object({ survey: SurveyView, versions: Type.Array(Type.Object({ version: Type.Integer(), createdAt: Type.String() })) });

/** The fatigue policy, as set (PUT) and as read (GET /api/v1/settings/contact-policy). */
export const ContactPolicy = Type.Object({ maxSurveys: Type.Integer({ minimum: 0, maximum: 100 }), perDays: Type.Integer({ minimum: 1, maximum: 3650 }) }, { additionalProperties: false });

/** A send to an audience (or one wave of a schedule) and its progress. */
export const RunView = Type.Object({
  id: Type.String(), surveyId: Type.String(),
  kind: Type.Union([Type.Literal('audience'), Type.Literal('schedule')]),
  period: Nullable(Type.Integer()), channel: Channel,
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('cancelled')]),
  conditions: Type.Array(Condition, { description: 'On top of the survey\'s targeting' }), delaySeconds: Type.Integer(),
  progress: Type.Object({ total: Type.Integer(), scanned: Type.Integer(), percent: Type.Number() }),
  scheduled: Type.Integer(), skipped: Type.Record(Type.String(), Type.Integer(), { description: 'People skipped, per reason code' }),
  createdAt: Type.String(), updatedAt: Type.String(), finishedAt: Nullable(Type.String()),
});
export const RunList = Type.Object({ items: Type.Array(RunView) });

export const SurveyLink = Type.Object({ url: Type.String(), kind: Type.String(), location: Nullable(Type.String()) });
