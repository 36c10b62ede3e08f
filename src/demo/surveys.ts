import { Value } from '@sinclair/typebox/value';
import { newId } from '../domain/ids.ts';
import type { Db } from '../store/db.ts';
import { insertRun } from '../store/survey-runs.ts';
import { createSurvey, updateSurvey, type Survey } from '../store/surveys.ts';
import { SurveyDefinitionInput } from '../domain/survey-definition.ts';
import { definitionProblem } from '../surveys/definition.ts';
import {
  POST_PURCHASE_DELAY_DAYS, POST_PURCHASE_RECONTACT_DAYS, POST_PURCHASE_SAMPLE, RELATIONSHIP_MIN_TENURE_DAYS, RELATIONSHIP_SAMPLE, WAVE_EVERY_DAYS,
  type DemoSurvey, type WaveTally,
} from './generate.ts';

// The two surveys the demo's answers belong to, set up as the generator behaves: the
// post-purchase survey is emailed three days after "Order Delivered", the relationship survey
// goes out every quarter to a stable sample. The answers' channels besides email (the widget on
// the order pages, the app, texts, the kiosk QR code on receipts) are switched on as well.

export const COMPANY = 'Advocate Shop';

function postPurchase(): SurveyDefinitionInput {
  return {
    name: 'Post-purchase NPS',
    companyName: COMPANY,
    brandColor: '#0f766e',
    texts: {
      en: {
        question: 'Now that your order has arrived, how likely are you to recommend {company} to a friend or colleague?',
        followUp: {
          promoter: 'Glad to hear it! What did you like most about this order?',
          passive: 'What would have made this order better?',
          detractor: 'We are sorry. What went wrong with this order?',
        },
        thankYou: {
          promoter: 'Thank you! Enjoy your order.',
          passive: 'Thank you. We read every answer and use it to do better.',
          detractor: 'Thank you for telling us. Our support team will look into your order.',
        },
        emailSubject: 'How was your order from {company}?',
      },
    },
    channels: {
      web: { enabled: true, urlContains: ['/account/orders'] },
      app: { enabled: true, screens: ['Order Tracking', 'Home'] },
      email: { enabled: true },
      sms: { enabled: true },
      link: { enabled: true },
      kiosk: { enabled: true },
    },
    sampleRate: POST_PURCHASE_SAMPLE,
    recontactDays: POST_PURCHASE_RECONTACT_DAYS,
    triggers: [{ event: 'Order Delivered', delayHours: POST_PURCHASE_DELAY_DAYS * 24, channel: 'email' }],
  };
}

function relationship(firstWaveAt: number): SurveyDefinitionInput {
  return {
    name: 'Quarterly relationship survey',
    companyName: COMPANY,
    texts: {
      en: {
        question: 'How likely are you to recommend {company} to a friend or colleague?',
        followUp: {
          promoter: 'What do you value most about shopping with {company}?',
          passive: 'What is the one thing we could do better for you?',
          detractor: 'We are sorry to hear that. What is the main reason for your score?',
        },
        thankYou: {
          promoter: 'Thank you for being a customer!',
          passive: 'Thank you. Your answer helps us decide what to fix first.',
          detractor: 'Thank you for being honest with us. We will look into it.',
        },
        emailSubject: 'One question from {company}, once a quarter',
      },
    },
    channels: {
      web: { enabled: true, urlExcludes: ['/checkout'] },
      app: { enabled: true },
      email: { enabled: true },
      sms: { enabled: true },
      link: { enabled: true },
      kiosk: { enabled: true },
    },
    targeting: [{ field: 'tenureDays', op: 'gte', value: RELATIONSHIP_MIN_TENURE_DAYS }],
    sampleRate: RELATIONSHIP_SAMPLE,
    recontactDays: 60,
    schedule: { everyDays: WAVE_EVERY_DAYS, channel: 'email', startAt: new Date(firstWaveAt).toISOString() },
  };
}

/** The definition as the API would take it (a broken demo definition is a bug here, not bad input). */
function checked(input: SurveyDefinitionInput): SurveyDefinitionInput {
  const error = Value.Errors(SurveyDefinitionInput, input).First();
  if (error) throw new Error(`demo survey "${input.name}": ${error.path} ${error.message}`);
  const problem = definitionProblem(input);
  if (problem) throw new Error(`demo survey "${input.name}": ${problem.message}`);
  return input;
}

/**
 * Creates both surveys, dated at the start of the demo's history and paused: they are switched on
 * (activateDemoSurveys) once the history is in, so the clock does not read a year of orders as new.
 */
export async function createDemoSurveys(db: Db, workspaceId: string, at: { createdAt: number; firstWaveAt: number }): Promise<Record<DemoSurvey, Survey>> {
  const make = (input: SurveyDefinitionInput) => createSurvey(db, workspaceId, checked({ ...input, status: 'paused' }), at.createdAt);
  return { postPurchase: await make(postPurchase()), relationship: await make(relationship(at.firstWaveAt)) };
}

export async function activateDemoSurveys(db: Db, workspaceId: string, surveys: Record<DemoSurvey, Survey>, now = Date.now()): Promise<void> {
  for (const s of Object.values(surveys)) {
    const input = { ...(s.definition as unknown as SurveyDefinitionInput), status: 'active' as const };
    await updateSurvey(db, workspaceId, s.id, checked(input), now);
  }
}

/** A finished run per wave, counted as the clock's own run would have counted it. */
export async function recordWaveRuns(db: Db, workspaceId: string, survey: Survey, waves: WaveTally[]): Promise<void> {
  for (const [period, w] of waves.entries()) {
    const skipped: Record<string, number> = {};
    if (w.tooNew) skipped.targeting = w.tooNew;
    if (w.recentlyAsked) skipped.contact_budget = w.recentlyAsked;
    if (w.notSampled) skipped.sample = w.notSampled;
    // A wave walks a few thousand profiles a page at a time: a few minutes.
    const finishedAt = w.at + 60_000 + w.customers * 40;
    await insertRun(db, {
      id: newId('run', w.at), workspace_id: workspaceId, survey_id: survey.id, kind: 'schedule', period, channel: 'email',
      conditions: '[]', delay_seconds: 0, status: 'done', cursor: null, total: w.customers, scanned: w.customers,
      scheduled: w.invited, skipped: JSON.stringify(skipped), created_at: w.at, updated_at: finishedAt, finished_at: finishedAt,
    });
  }
}
