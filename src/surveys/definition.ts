import type { Static } from '@sinclair/typebox';
import type { PerCategory, SurveyDefinition, SurveyDefinitionInput, SurveyTexts } from '../domain/survey-definition.ts';
import type { RenderedScale, RenderedSurvey } from './rendered.ts';

// Each language's built-in wording, and a survey rendered in one language; the definition itself
// (schema, defaults) is in domain/survey-definition.ts.

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
