import { Random, type Weighted } from '../../src/domain/random.ts';
import { categoryOf } from '../../src/domain/category.ts';
import { derivedId } from '../../src/domain/ids.ts';
import { migrate } from '../../src/store/db.ts';
import { answerIdOf } from '../../src/store/projector.ts';
import { createWorkspace } from '../../src/store/workspaces.ts';
import { openSqlite } from './harness.ts';
import { people, userIdOf } from './spec-messages.ts';
import { analyzeText } from '../../src/text/analyze.ts';
import { DEFAULT_TAXONOMY } from '../../src/text/taxonomy.ts';
import { themeSentiment } from '../../src/domain/drivers.ts';

// A workspace with a few years of NPS history, written straight into a fresh SQLite file with
// prepared statements in large transactions: the Writer (how bench/lookup.ts seeds) projects
// about 10k events/s, so a million answers through it would take minutes, and the figures
// only need the rows.
//
// Every value comes from one seeded stream relative to `now`, so the same options give the same
// rows; ids are derivedId()s (time-sortable like newId's, but reproducible). Profiles are in
// first-seen order, answers in answer-time order, each answer from someone already seen then, with
// the context the projector would have stamped (stage, days since last order, days since first
// seen, campaign, device), and each profile's latest NPS taken from its own answers.

const DAY = 86_400_000;
const YEAR = 365 * DAY;
const ROWS_PER_TX = 50_000;

export const SEED_CHANNELS = ['email', 'web', 'app', 'sms', 'kiosk'] as const;
export const SEED_STAGES = ['new', 'active', 'repeat', 'loyal', 'lapsed'] as const;
const CHANNEL_WEIGHTS: Weighted<(typeof SEED_CHANNELS)[number]> = [['email', 40], ['web', 30], ['app', 15], ['sms', 10], ['kiosk', 5]];
// Score units on the latent 0–10 scale; around the 6/7 and 8/9 edges one unit is roughly 35 NPS points.
const CHANNEL_SHIFT: Record<string, number> = { email: 0.1, web: 0, app: 0.3, sms: -0.5, kiosk: -0.2 };
const STAGE_SHIFT: Record<string, number> = { new: 0, active: 0.1, repeat: 0.3, loyal: 0.6, lapsed: -0.9 };
const PLANS: Weighted<string> = [['free', 60], ['pro', 30], ['enterprise', 10]];
const PLAN_SHIFT: Record<string, number> = { free: -0.1, pro: 0.1, enterprise: 0.25 };
const COUNTRIES: Weighted<string> = [['US', 30], ['GB', 12], ['DE', 12], ['FR', 9], ['NL', 7], ['ES', 7], ['IT', 7], ['SE', 5], ['CA', 6], ['AU', 5]];
const CAMPAIGNS: Array<[name: string, source: string]> = [
  ['Summer Sale', 'newsletter'], ['Loyalty Rewards Launch', 'google'], ['Back to School', 'instagram'],
  ['Black Friday Early Access', 'facebook'], ['Spring Collection', 'newsletter'], ['Refer a Friend', 'referral'],
];
const COMMENTS: Record<string, string[]> = {
  promoter: ['Fast delivery and great quality.', 'Love the new collection!', 'Customer service sorted my return in a day.', 'Always reliable.'],
  passive: ['Fine, but shipping could be faster.', 'Good products, a bit pricey.', 'The app is ok.'],
  detractor: ['My order arrived late and damaged.', 'Nobody answered my emails.', 'Checkout kept failing on my phone.', 'Too expensive for what you get.'],
};

export interface NpsSeedOptions {
  profiles: number;
  answers: number;
  seed?: number;
  /** Epoch ms the history ends at (answers are before it); default Date.now(). */
  now?: number;
  log?: (line: string) => void;
}

export interface NpsSeed {
  workspaceId: string;
  profiles: number;
  answers: number;
  /** Profiles with traits.vip = true (every tenth). */
  vipProfiles: number;
  now: number;
  seconds: number;
}

/** Number of values in the ascending `sorted` that are ≤ x. */
function countAtMost(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Creates a workspace in a fresh SQLite file (migrated here) and fills it. */
export async function seedNpsWorkspace(file: string, options: NpsSeedOptions): Promise<NpsSeed> {
  const P = options.profiles;
  const N = options.answers;
  const now = options.now ?? Date.now();
  const rng = new Random(options.seed ?? 2024);
  const log = options.log ?? (() => {});
  const started = Date.now();

  const store = openSqlite(file);
  try {
    await migrate(store);
    const workspaceId = (await createWorkspace(store.db, 'Insight benchmark', now - 3 * YEAR)).id;
    const db = store.sqlite;
    if (!db) throw new Error('openStore() gave no better-sqlite3 handle for a SQLite file');

    // Profiles, oldest first: 40% were already customers when the two years of answers begin.
    const firstSeen = new Float64Array(P);
    for (let i = 0; i < P; i++) firstSeen[i] = Math.floor(rng.chance(0.4) ? now - 2 * YEAR - rng.next() * YEAR : now - rng.next() * 2 * YEAR);
    firstSeen.sort();
    const plan: string[] = new Array(P);
    const orderCount = new Int32Array(P);
    const firstOrderAt = new Float64Array(P);
    const lastOrderAt = new Float64Array(P);
    const revenue = new Float64Array(P);
    for (let i = 0; i < P; i++) {
      plan[i] = rng.weighted(PLANS);
      let orders: number = rng.weighted([[0, 25], [1, 30], [2, 15], [3, 10], [4, 5], [-1, 15]] as const);
      if (orders === -1) orders = rng.int(5, 25);
      const first = firstSeen[i] + rng.exponential(1 / (10 * DAY));
      if (orders === 0 || first >= now) continue;
      orderCount[i] = orders;
      firstOrderAt[i] = Math.floor(first);
      // Repeat buyers mostly keep buying: their last order leans towards today.
      lastOrderAt[i] = orders === 1 ? firstOrderAt[i] : Math.floor(first + (1 - rng.next() ** 3) * (now - first));
      let total = 0;
      for (let k = 0; k < orders; k++) total += rng.float(15, 240);
      revenue[i] = Math.round(total * 100) / 100;
    }
    const vip = (i: number) => i % 10 === 0;

    // Answer times over the last two years, getting busier: half uniform, half with a rising density.
    const at = new Float64Array(N);
    for (let k = 0; k < N; k++) {
      const u = rng.next();
      at[k] = Math.floor(now - 2 * YEAR + 2 * YEAR * (rng.chance(0.5) ? u : Math.sqrt(u)));
      if (at[k] >= now) at[k] = now - 1;
    }
    at.sort();

    const latestScore = new Int8Array(P).fill(-1);
    const previousScore = new Int8Array(P).fill(-1);
    const latestAt = new Float64Array(P);
    const latestCampaign: Array<[string, string] | undefined> = new Array(P);
    const surveys: Weighted<string> = [
      [derivedId('srv', now - 3 * YEAR, 'relationship'), 50],
      [derivedId('srv', now - 3 * YEAR, 'post-purchase'), 35],
      [derivedId('srv', now - 3 * YEAR, 'support'), 15],
    ];

    const insertAnswer = db.prepare(
      `insert into answers (id, workspace_id, profile_id, event_id, message_id, score, category, comment, channel, survey_id, survey_version, properties,
         stage, days_since_last_order, days_since_first_seen, campaign, utm_source, device, answered_at, created_at, updated_at, csat, ces, contact_id)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null, null, null)`,
    );
    // Each comment analysed as the text consumer would have (the same words, so once per template),
    // stored beside its answer: a workspace whose comments are analysed already.
    const analyses = new Map<string, { sentiment: string; score: number; themes: string; rows: Array<[string, string]> }>();
    for (const comment of Object.values(COMMENTS).flat()) {
      const a = analyzeText(comment);
      const themes = a.themes.map((t) => ({ id: t.id, mentions: t.mentions.map((m) => ({ start: m.start, end: m.end, sentiment: m.sentiment })) }));
      analyses.set(comment, {
        sentiment: a.sentiment.label, score: a.sentiment.score, themes: JSON.stringify(themes),
        rows: a.themes.map((t) => [t.id, themeSentiment(t.mentions.map((m) => m.sentiment.label), a.sentiment.label)]),
      });
    }
    const insertText = db.prepare(`insert into answer_texts (answer_id, workspace_id, sentiment, score, themes, model_id, taxonomy_version, analyzed_at) values (?, ?, ?, ?, ?, null, ${DEFAULT_TAXONOMY.version}, ?)`);
    const insertTheme = db.prepare('insert into answer_themes (workspace_id, theme_id, answer_id, sentiment) values (?, ?, ?, ?)');
    const profileIds: string[] = new Array(P);
    for (let i = 0; i < P; i++) profileIds[i] = derivedId('prof', firstSeen[i], `insight-seed-profile-${i}`);

    const writeAnswers = db.transaction((from: number, to: number) => {
      for (let k = from; k < to; k++) {
        const t = at[k];
        const p = rng.int(0, Math.max(1, countAtMost(firstSeen, t)) - 1);
        const channel = rng.weighted(CHANNEL_WEIGHTS);
        // Context at answer time, as the projector stamps it.
        let daysSinceOrder: number | null = null;
        let ordersSoFar = 0;
        if (orderCount[p] > 0 && firstOrderAt[p] <= t) {
          const span = lastOrderAt[p] - firstOrderAt[p];
          ordersSoFar = span > 0 ? 1 + Math.floor(((orderCount[p] - 1) * Math.min(t - firstOrderAt[p], span)) / span) : 1;
          daysSinceOrder = t >= lastOrderAt[p] ? Math.floor((t - lastOrderAt[p]) / DAY) : Math.min(Math.floor((t - firstOrderAt[p]) / DAY), Math.floor(rng.exponential(1 / 40)));
        }
        const stage = daysSinceOrder == null ? 'new' : daysSinceOrder > 90 ? 'lapsed' : ordersSoFar >= 5 ? 'loyal' : ordersSoFar >= 2 ? 'repeat' : 'active';
        const latent = 8.4 + CHANNEL_SHIFT[channel] + STAGE_SHIFT[stage] + PLAN_SHIFT[plan[p]] + (vip(p) ? 0.3 : 0) + rng.normal(0, 1.9);
        // Real NPS answers pile up at 10 (the clamp) and have a tail of the angry at 0–3.
        const score = rng.chance(0.04) ? rng.int(0, 3) : Math.max(0, Math.min(10, Math.round(latent)));
        const category = categoryOf(score);
        const campaign = rng.chance(0.2) ? rng.pick(CAMPAIGNS) : null;
        const device = channel === 'sms' || channel === 'app' ? 'mobile' : channel === 'kiosk' ? 'tablet' : rng.weighted([['desktop', 50], ['mobile', 44], ['tablet', 6]] as const);
        const comment = rng.chance(0.12) ? rng.pick(COMMENTS[category]) : null;
        const properties = rng.chance(0.9) ? '{}' : `{"order_id":"ord_${rng.int(100_000, 999_999)}","locale":"${rng.pick(['en-US', 'en-GB', 'de-DE', 'fr-FR'])}"}`;
        const eventId = derivedId('evt', t, `insight-seed-answer-${k}`);
        const answerId = answerIdOf(eventId);
        insertAnswer.run(
          answerId, workspaceId, profileIds[p], eventId, `seed-answer-${String(k).padStart(8, '0')}`, score, category, comment, channel, rng.weighted(surveys), properties,
          stage, daysSinceOrder, Math.max(0, Math.floor((t - firstSeen[p]) / DAY)), campaign?.[0] ?? null, campaign?.[1] ?? null, device, t, t, t,
        );
        if (comment) {
          const a = analyses.get(comment)!;
          insertText.run(answerId, workspaceId, a.sentiment, a.score, a.themes, t);
          for (const [theme, sentiment] of a.rows) insertTheme.run(workspaceId, theme, answerId, sentiment);
        }
        previousScore[p] = latestScore[p];
        latestScore[p] = score;
        latestAt[p] = t;
        if (campaign) latestCampaign[p] = campaign;
      }
    });
    for (let from = 0; from < N; from += ROWS_PER_TX) {
      writeAnswers(from, Math.min(N, from + ROWS_PER_TX));
      const done = Math.min(N, from + ROWS_PER_TX);
      if ((from / ROWS_PER_TX) % 4 === 3 || done === N) log(`seeding: ${done.toLocaleString('en')}/${N.toLocaleString('en')} answers (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    }

    // Names and emails as the other benchmarks make them; plan, country and the VIP flag here.
    const persons = people(P, 29);
    const insertProfile = db.prepare(
      `insert into profiles (id, workspace_id, merged_into, user_id, traits, created_at, updated_at, first_seen_at, last_seen_at, order_count, revenue,
         first_order_at, last_order_at, nps_score, nps_category, nps_answered_at, nps_prev_score, last_campaign, last_utm_source)
       values (?, ?, null, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertIdentity = db.prepare(`insert into identities (workspace_id, kind, value, profile_id, created_at) values (?, ?, ?, ?, ?)`);
    const writeProfiles = db.transaction(() => {
      for (let i = 0; i < P; i++) {
        const person = persons[i];
        const userId = userIdOf(i);
        const email = `${person.firstName}.${person.lastName}.${i}@example.com`.toLowerCase();
        const country = rng.weighted(COUNTRIES);
        const traits = JSON.stringify({
          email, firstName: person.firstName, lastName: person.lastName, name: `${person.firstName} ${person.lastName}`,
          plan: plan[i], country, vip: vip(i), createdAt: new Date(firstSeen[i]).toISOString(),
        });
        const lastSeen = Math.max(firstSeen[i], latestAt[i], lastOrderAt[i]);
        const answered = latestScore[i] >= 0;
        insertProfile.run(
          profileIds[i], workspaceId, userId, traits, firstSeen[i], lastSeen, firstSeen[i], lastSeen, orderCount[i], revenue[i],
          orderCount[i] ? firstOrderAt[i] : null, orderCount[i] ? lastOrderAt[i] : null,
          answered ? latestScore[i] : null, answered ? categoryOf(latestScore[i]) : null, answered ? latestAt[i] : null,
          previousScore[i] >= 0 ? previousScore[i] : null, latestCampaign[i]?.[0] ?? null, latestCampaign[i]?.[1] ?? null,
        );
        insertIdentity.run(workspaceId, 'user', userId, profileIds[i], firstSeen[i]);
        insertIdentity.run(workspaceId, 'email', email, profileIds[i], firstSeen[i]);
      }
    });
    writeProfiles();
    // Fold the WAL back so the server starts from a plain file, as after any quiet period.
    db.pragma('wal_checkpoint(TRUNCATE)');
    const seconds = (Date.now() - started) / 1000;
    log(`seeded ${P.toLocaleString('en')} profiles and ${N.toLocaleString('en')} answers in ${seconds.toFixed(1)} s`);
    return { workspaceId, profiles: P, answers: N, vipProfiles: Math.ceil(P / 10), now, seconds };
  } finally {
    await store.close();
  }
}
