import type { ReasonFacts } from '../domain/churn-model.ts';
import { DEFAULT_PREFERENCES, formatMoney, type Preferences } from '../domain/preferences.ts';

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
// Whole months as people count them: 60 days is "2 months", never rounded up to one not yet passed.
const MONTH_DAYS = 30;

/** How long something has lasted: "12 days", "3 weeks", "5 months", "2 years". */
export function span(days: number): string {
  if (days < 1) return 'less than a day';
  if (days < 14) return plural(Math.floor(days), 'day');
  if (days < 60) return plural(Math.floor(days / 7), 'week');
  if (days < 730) return plural(Math.floor(days / MONTH_DAYS), 'month');
  return plural(Math.floor(days / 365), 'year');
}

/** When something happened, as people say it: "today", "yesterday", "last week", "3 months ago". */
export function when(days: number): string {
  if (days < 1) return 'today';
  if (days < 2) return 'yesterday';
  if (days < 7) return `${Math.floor(days)} days ago`;
  if (days < 14) return 'last week';
  if (days < 60) return `${Math.floor(days / 7)} weeks ago`;
  if (days < 365) return `${Math.floor(days / MONTH_DAYS)} months ago`;
  return days < 730 ? 'over a year ago' : `${Math.floor(days / 365)} years ago`;
}

const known = (x: number | undefined): x is number => x !== undefined && Number.isFinite(x);

/**
 * One reason in a CX lead's words, from the person's facts; `elapsedDays` since scoring moves
 * "when" forward. Null for what is no reason anyone would recognise: the channel a survey happened
 * to be answered on, how long ago the last answer was on its own (it is said with the score), an
 * unchanged score.
 */
export function reasonText(feature: string, f: ReasonFacts, prefs: Pick<Preferences, 'currency' | 'locale'> = DEFAULT_PREFERENCES, elapsedDays = 0): string | null {
  const later = (d: number | undefined) => (known(d) ? d + Math.max(0, elapsedDays) : undefined);
  switch (feature) {
    case 'latestScore': {
      if (!known(f.score)) return null;
      const ago = later(f.daysSinceAnswer);
      const said = known(ago) ? when(ago) : '';
      // "out of 10, 7 weeks ago": two numbers in a row need the comma to be read apart.
      return `Gave ${f.score === 8 ? 'an' : 'a'} ${f.score} out of 10${said ? `${/^\d/.test(said) ? ',' : ''} ${said}` : ''}`;
    }
    case 'noAnswer':
      return 'Has never answered an NPS survey';
    case 'scoreChange':
      if (!known(f.score) || !known(f.previousScore) || f.score === f.previousScore) return null;
      return `Score ${f.score < f.previousScore ? 'dropped' : 'rose'} from ${f.previousScore} to ${f.score} since the answer before`;
    case 'daysSinceOrder': {
      const d = later(f.daysSinceOrder);
      if (!known(d)) return null;
      // More recent than most customers' last order reads as when; longer ago, as how long.
      return f.below || d < 14 ? `Last ordered ${when(d)}` : `Hasn't ordered in ${span(d)}`;
    }
    case 'ordersPastYear':
      if (!known(f.orders)) return null;
      return `${f.below ? 'Only ' : ''}${plural(f.orders, 'order')} in the past year`;
    case 'revenuePastYear':
      if (!known(f.revenue)) return null;
      return `Spent ${f.below ? 'only ' : ''}${formatMoney(f.revenue, prefs, f.revenue >= 100 ? 0 : undefined)} in the past year`;
    case 'tenureDays': {
      const d = later(f.tenureDays);
      if (!known(d)) return null;
      return d < 60 ? `New customer: first seen ${when(d)}` : `A customer for ${span(d)}`;
    }
    default:
      return null;
  }
}

const CHANNEL_WORDS: Record<string, string> = {
  web: 'on the website', email: 'by email', sms: 'by text message', app: 'in the app', 'in-app': 'in the app',
  link: 'through a link', kiosk: 'at a kiosk', store: 'in a store', api: 'through the API',
};

/** "by email", "on the website"; an unknown channel by its own name. */
export const channelWords = (channel: string) => CHANNEL_WORDS[channel.toLowerCase()] ?? `by ${channel}`;

const MORE_OF: Record<string, string> = {
  latestScore: 'A higher latest NPS score',
  noAnswer: 'Never having answered an NPS survey',
  scoreChange: 'A score that rose since the answer before',
  daysSinceOrder: 'More time since the last order',
  ordersPastYear: 'More orders in the past year',
  revenuePastYear: 'More spent in the past year',
  tenureDays: 'A longer time as a customer',
  daysSinceAnswer: 'More time since the last NPS answer',
};

/** Log-odds per standard deviation too small to call a direction (a feature everyone shares fits to about 0). */
export const NEGLIGIBLE = 0.005;

/** What a coefficient means in a sentence: "More time since the last order raises the risk". */
export function effectText(feature: string, coefficient: number): string {
  const subject = MORE_OF[feature] ?? (feature.startsWith('channel:') ? `Answering the latest survey ${channelWords(feature.slice(8))}` : feature);
  if (Math.abs(coefficient) < NEGLIGIBLE) return `${subject} makes little or no difference`;
  return `${subject} ${coefficient > 0 ? 'raises' : 'lowers'} the risk`;
}
