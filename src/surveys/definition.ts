import { Type, type Static } from '@sinclair/typebox';
import type { RenderedScale, RenderedSurvey } from './rendered.ts';

/**
 * What a survey owner sets. Every field has a default, so `{ name }` alone is a working NPS
 * survey on the web and by link; a new version is stored whenever the definition changes and
 * each answer records the version it answered.
 */

const Text = (max = 500) => Type.String({ minLength: 1, maxLength: max });
const PerCategory = Type.Union([
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

export const SurveyDefinitionInput = Type.Object(
  {
    name: Text(200),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('paused'), Type.Literal('archived')])),
    defaultLanguage: Type.Optional(Type.String({ pattern: '^[a-z]{2}(-[A-Za-z]{2,4})?$' })),
    texts: Type.Optional(Type.Record(Type.String({ pattern: '^[a-z]{2}(-[A-Za-z]{2,4})?$' }), SurveyTexts)),
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
    texts: input.texts ?? {},
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

type BuiltIn = Required<Omit<Static<typeof SurveyTexts>, 'followUp' | 'thankYou'>> & {
  followUp: { promoter: string; passive: string; detractor: string };
  thankYou: { promoter: string; passive: string; detractor: string };
  poweredBy: string;
};

// Built-in wording; `{company}` is replaced by the survey's company name (or "us").
const BUILT_IN: Record<string, BuiltIn> = {
  en: {
    question: 'How likely are you to recommend {company} to a friend or colleague?',
    lowLabel: 'Not at all likely',
    highLabel: 'Extremely likely',
    followUp: { promoter: 'What do you like most about {company}?', passive: 'What would make {company} better for you?', detractor: 'We are sorry to hear that. What disappointed you?' },
    thankYou: { promoter: 'Thank you! We are glad you are happy.', passive: 'Thank you for your feedback.', detractor: 'Thank you for telling us. We will look into it.' },
    csatQuestion: 'How satisfied are you with {company} overall?',
    cesQuestion: 'How easy was it to get what you needed?',
    emailSubject: 'A quick question from {company}',
    submit: 'Send',
    close: 'Close',
    commentPlaceholder: 'Your answer (optional)',
    poweredBy: 'Powered by Advocate',
  },
  de: {
    question: 'Wie wahrscheinlich ist es, dass Sie {company} einem Freund oder Kollegen empfehlen?',
    lowLabel: 'Überhaupt nicht wahrscheinlich',
    highLabel: 'Äußerst wahrscheinlich',
    followUp: { promoter: 'Was gefällt Ihnen an {company} am besten?', passive: 'Was könnte {company} für Sie besser machen?', detractor: 'Das tut uns leid. Was hat Sie enttäuscht?' },
    thankYou: { promoter: 'Vielen Dank! Schön, dass Sie zufrieden sind.', passive: 'Vielen Dank für Ihr Feedback.', detractor: 'Danke, dass Sie es uns sagen. Wir kümmern uns darum.' },
    csatQuestion: 'Wie zufrieden sind Sie insgesamt mit {company}?',
    cesQuestion: 'Wie einfach war es, das zu bekommen, was Sie brauchten?',
    emailSubject: 'Eine kurze Frage von {company}',
    submit: 'Senden',
    close: 'Schließen',
    commentPlaceholder: 'Ihre Antwort (optional)',
    poweredBy: 'Powered by Advocate',
  },
  fr: {
    question: 'Quelle est la probabilité que vous recommandiez {company} à un ami ou un collègue ?',
    lowLabel: 'Pas du tout probable',
    highLabel: 'Très probable',
    followUp: { promoter: "Qu'appréciez-vous le plus chez {company} ?", passive: "Qu'est-ce qui rendrait {company} meilleur pour vous ?", detractor: "Nous en sommes désolés. Qu'est-ce qui vous a déçu ?" },
    thankYou: { promoter: 'Merci ! Nous sommes ravis que vous soyez satisfait.', passive: 'Merci pour votre avis.', detractor: 'Merci de nous le dire. Nous allons nous en occuper.' },
    csatQuestion: 'Dans l’ensemble, êtes-vous satisfait de {company} ?',
    cesQuestion: 'Était-il facile d’obtenir ce dont vous aviez besoin ?',
    emailSubject: 'Une question rapide de {company}',
    submit: 'Envoyer',
    close: 'Fermer',
    commentPlaceholder: 'Votre réponse (facultatif)',
    poweredBy: 'Propulsé par Advocate',
  },
  nl: {
    question: 'Hoe waarschijnlijk is het dat u {company} aanbeveelt aan een vriend of collega?',
    lowLabel: 'Helemaal niet waarschijnlijk',
    highLabel: 'Zeer waarschijnlijk',
    followUp: { promoter: 'Wat vindt u het beste aan {company}?', passive: 'Wat zou {company} beter maken voor u?', detractor: 'Dat spijt ons. Wat viel u tegen?' },
    thankYou: { promoter: 'Dank u! Fijn dat u tevreden bent.', passive: 'Dank u voor uw feedback.', detractor: 'Dank dat u het ons laat weten. We gaan ermee aan de slag.' },
    csatQuestion: 'Hoe tevreden bent u in het algemeen over {company}?',
    cesQuestion: 'Hoe makkelijk was het om te krijgen wat u nodig had?',
    emailSubject: 'Een korte vraag van {company}',
    submit: 'Versturen',
    close: 'Sluiten',
    commentPlaceholder: 'Uw antwoord (optioneel)',
    poweredBy: 'Mogelijk gemaakt door Advocate',
  },
  es: {
    question: '¿Qué probabilidad hay de que recomiende {company} a un amigo o colega?',
    lowLabel: 'Nada probable',
    highLabel: 'Muy probable',
    followUp: { promoter: '¿Qué es lo que más le gusta de {company}?', passive: '¿Qué haría que {company} fuera mejor para usted?', detractor: 'Lo sentimos. ¿Qué le decepcionó?' },
    thankYou: { promoter: '¡Gracias! Nos alegra que esté contento.', passive: 'Gracias por su opinión.', detractor: 'Gracias por contárnoslo. Lo revisaremos.' },
    csatQuestion: '¿Qué tan satisfecho está con {company} en general?',
    cesQuestion: '¿Qué tan fácil fue conseguir lo que necesitaba?',
    emailSubject: 'Una pregunta rápida de {company}',
    submit: 'Enviar',
    close: 'Cerrar',
    commentPlaceholder: 'Su respuesta (opcional)',
    poweredBy: 'Con la tecnología de Advocate',
  },
};
export const BUILT_IN_LANGUAGES = Object.keys(BUILT_IN);
/** The built-in wording of a language tag: own entries only (a requested "__proto__" or "constructor" names none). */
const builtIn = (tag: string): BuiltIn | undefined => (Object.hasOwn(BUILT_IN, tag) ? BUILT_IN[tag] : undefined);

/** The best language the survey has for a requested one: exact, then primary subtag, then the default. */
export function pickLanguage(def: SurveyDefinition, requested: string | null | undefined): string {
  const offered = new Set([...Object.keys(def.texts), def.defaultLanguage]);
  const want = (requested ?? '').trim();
  if (want && offered.has(want)) return want;
  const primary = want.split('-')[0].toLowerCase();
  if (primary && offered.has(primary)) return primary;
  // A language with built-in wording is offered too when the owner wrote no texts at all.
  if (primary && Object.keys(def.texts).length === 0 && builtIn(primary)) return primary;
  return def.defaultLanguage;
}

function perCategory(v: Static<typeof PerCategory> | undefined, fallback: BuiltIn['followUp']): BuiltIn['followUp'] {
  if (v === undefined) return fallback;
  if (typeof v === 'string') return { promoter: v, passive: v, detractor: v };
  return { promoter: v.promoter ?? fallback.promoter, passive: v.passive ?? fallback.passive, detractor: v.detractor ?? fallback.detractor };
}

export function renderSurvey(surveyId: string, version: number, def: SurveyDefinition, requestedLanguage: string | null | undefined, workspaceName: string): RenderedSurvey {
  const language = pickLanguage(def, requestedLanguage);
  const own = def.texts[language] ?? {};
  const base = builtIn(language) ?? builtIn(language.split('-')[0]) ?? BUILT_IN.en;
  const company = def.companyName ?? workspaceName ?? 'us';
  const fill = (s: string) => s.replaceAll('{company}', company);
  const map3 = (o: BuiltIn['followUp']) => ({ promoter: fill(o.promoter), passive: fill(o.passive), detractor: fill(o.detractor) });
  const scale = (question: string, low: string, high: string): RenderedScale => ({ question: fill(question), lowLabel: fill(low), highLabel: fill(high) });
  return {
    surveyId,
    version,
    language,
    nps: scale(own.question ?? base.question, own.lowLabel ?? base.lowLabel, own.highLabel ?? base.highLabel),
    followUp: map3(perCategory(own.followUp, base.followUp)),
    csat: def.csat ? scale(own.csatQuestion ?? base.csatQuestion, '1', '5') : null,
    ces: def.ces ? scale(own.cesQuestion ?? base.cesQuestion, '1', '7') : null,
    thankYou: map3(perCategory(own.thankYou, base.thankYou)),
    promoterLink: def.promoterLink,
    brandColor: def.brandColor,
    labels: {
      submit: own.submit ?? base.submit,
      close: own.close ?? base.close,
      commentPlaceholder: own.commentPlaceholder ?? base.commentPlaceholder,
      poweredBy: base.poweredBy,
    },
  };
}

export function emailSubjectOf(def: SurveyDefinition, language: string, workspaceName: string): string {
  const own = def.texts[language]?.emailSubject;
  const base = (builtIn(language) ?? BUILT_IN.en).emailSubject;
  return (own ?? base).replaceAll('{company}', def.companyName ?? workspaceName);
}

/** What the schema cannot say: a field that is well-formed but meaningless. */
export function definitionProblem(input: SurveyDefinitionInput): { field: string; message: string } | null {
  const startAt = input.schedule?.startAt;
  if (startAt != null && !Number.isFinite(Date.parse(startAt))) {
    return { field: 'body.schedule.startAt', message: `body.schedule.startAt: "${startAt}" is not an ISO 8601 date-time (e.g. 2027-01-01T09:00:00Z)` };
  }
  return null;
}
