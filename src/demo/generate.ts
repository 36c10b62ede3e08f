import { categoryOf, type Category } from '../domain/category.ts';
import { DEFAULT_STAGE_RULES } from '../domain/journey.ts';
import { NPS_RESPONDED, ORDER_COMPLETED } from '../domain/event.ts';
import type { SpecContext, SpecMessage } from '../ingest/types.ts';
import { makeComment, type Theme } from './comments.ts';
import { Random, hashSeed, type Weighted } from '../domain/random.ts';
import { WallClock } from './wall-clock.ts';

// The demo workspace: a year of an online shop's customers whose data hides a few true findings
// that the product must surface (a weak channel, a campaign that worked, detractors who leave).
// Each customer is simulated day by day from one latent satisfaction, with their own random
// stream, so customers can be streamed one at a time and the output does not depend on how many
// customers come before. Time runs on the shop's wall clock (wall-clock.ts): the same seed gives
// the same local days and hours on whatever date the demo is made.

export interface DemoOptions {
  customers?: number;
  seed?: number;
  /** Epoch ms; defaults to the last midnight in `timeZone`. Pass it wherever output must be reproducible. */
  now?: number;
  /** 12 by default; a month is 365/12 days, so every window is a whole number of days. */
  months?: number;
  /** IANA zone whose local days and hours the customers live by; UTC by default. */
  timeZone?: string;
  /** The surveys the answers belong to (survey_id, and survey_version when given). */
  surveys?: Record<DemoSurvey, { id: string; version?: number }>;
  /** Filled while generating: what each relationship wave did, for the survey's runs. */
  tally?: DemoTally;
}

export type DemoSurvey = 'postPurchase' | 'relationship';

/** One relationship wave: the customers there were that day and what became of each. */
export interface WaveTally {
  /** Epoch ms of the morning the wave went out. */
  at: number;
  customers: number;
  /** Customers for under 21 days (the survey's targeting). */
  tooNew: number;
  /** Invited to a survey in the last 30 days (the contact policy). */
  recentlyAsked: number;
  /** Outside the wave's sample. */
  notSampled: number;
  invited: number;
}

export interface DemoTally {
  waves: WaveTally[];
}

export interface DemoTruth {
  weakChannel: string;
  /**
   * npsLift is the designed effect against comparable customers (already customers at launch,
   * not exposed). A naive exposed-vs-unexposed comparison reads higher, because the unexposed
   * side also holds newcomers, who have not yet been filtered by detractor churn.
   */
  campaign: { name: string; startsAt: number; endsAt: number; npsLift: number };
  channels: string[];
  stages: string[];
  /** The theme (taxonomy id) of the comments late parcels cause: the largest cost in NPS points. */
  costliestTheme: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const CHANNELS = ['web', 'email', 'sms', 'app', 'store'] as const;
type Channel = (typeof CHANNELS)[number];
const WEAK_CHANNEL: Channel = 'sms';
const PLANTED_CAMPAIGN = 'Loyalty Rewards Launch';
/** Those it is sent to are the customers asked for a referral (the `referral_invited_at` trait). */
export const REFERRAL_CAMPAIGN = 'Refer a Friend';
/** Wave invitations: sample share, and who is left out (the relationship survey's settings). */
export const RELATIONSHIP_SAMPLE = 0.7;
export const RELATIONSHIP_MIN_TENURE_DAYS = 21;
export const CONTACT_GAP_DAYS = 30;
/** Post-purchase invitations: three days after "Order Delivered", at most once per 45 days, to 60%. */
export const POST_PURCHASE_DELAY_DAYS = 3;
export const POST_PURCHASE_RECONTACT_DAYS = 45;
export const POST_PURCHASE_SAMPLE = 0.6;
const DEFAULT_SURVEYS: Record<DemoSurvey, { id: string; version?: number }> = {
  postPurchase: { id: 'nps-post-purchase' },
  relationship: { id: 'nps-relationship' },
};

// Effect sizes in score units (the latent scale behind the 0–10 answer). Around the 6/7 and 8/9
// boundaries one score unit moves NPS by roughly 35 points, hence these small-looking numbers.
const BASE_SCORE = 8.0;
const SAT_WEIGHT = 1.5;
const ANSWER_NOISE = 1.0;
const WEAK_CHANNEL_SHIFT = -0.6; // ≈ −20 NPS
// Strong enough that at the demo's 5,000 customers both impact designs find it (the paired one has
// only ~150 people answering before and after, so a +12 lift was lost in its noise).
const CAMPAIGN_SHIFT = 0.55; // ≈ +18 NPS
const LATE_DELIVERY_SHIFT = -1.6;
/** What CAMPAIGN_SHIFT amounts to in NPS points, measured on 50,000 customers (seed noise is ±7 at 5,000). */
const CAMPAIGN_NPS_LIFT = 18;

// What an answer does to later behaviour: the "sentiment predicts revenue and churn" story.
const AFTER_ANSWER: Record<Category, { orders: number; sessions: number; churn: number }> = {
  promoter: { orders: 1.1, sessions: 1.1, churn: 0.6 },
  passive: { orders: 0.95, sessions: 1.0, churn: 1.1 },
  detractor: { orders: 0.65, sessions: 0.75, churn: 3 },
};

const SITE = 'https://shop.example.com';
const LIBRARY = { name: 'advocate-demo', version: '1.0.0' };

/** The simulated period; `start`, `now` and every time inside the simulation are wall-clock times. */
interface Span {
  customers: number;
  seed: number;
  /** The end as an instant (epoch ms). */
  end: number;
  now: number;
  months: number;
  start: number;
  span: number;
  clock: WallClock;
  surveys: Record<DemoSurvey, { id: string; version?: number }>;
}

function resolve(options: DemoOptions = {}): Span {
  const customers = Math.max(0, Math.floor(options.customers ?? 5000));
  const seed = Math.floor(options.seed ?? 42);
  const months = Math.max(1, options.months ?? 12);
  const clock = new WallClock(options.timeZone ?? 'UTC');
  const end = options.now ?? clock.midnightBefore(Date.now());
  const now = clock.toWall(end);
  // Whole days, not calendar months: a year that holds a 29 February would otherwise be a day
  // longer, and every day index in it would move.
  const span = Math.round((months * 365) / 12) * DAY;
  const start = now - span;
  // Older customers' created_at goes back up to 900 days before the window.
  clock.cover(clock.toInstant(start) - 1000 * DAY, end + 2 * DAY);
  return { customers, seed, end, now, months, start, span, clock, surveys: options.surveys ?? DEFAULT_SURVEYS };
}

/** Start and end of the simulated period: every generated timestamp lies strictly inside it. */
export function demoWindow(options?: DemoOptions): { start: number; end: number } {
  const w = resolve(options);
  return { start: w.clock.toInstant(w.start), end: w.end };
}

// Positions are fractions of the window so a shorter `months` keeps the same storyline.
interface CampaignPlan {
  name: string;
  at: number;
  sendP: number;
  openP: number;
  clickP: number;
  subject: string;
  /** Extra sends, days after the first. */
  reminders: number[];
}
const CAMPAIGNS: CampaignPlan[] = [
  { name: 'New Season Arrivals', at: 0.1, sendP: 0.6, openP: 0.32, clickP: 0.3, subject: 'Just landed: the new season edit', reminders: [] },
  { name: 'Free Shipping Weekend', at: 0.26, sendP: 0.65, openP: 0.38, clickP: 0.35, subject: 'Free shipping on everything this weekend', reminders: [] },
  { name: REFERRAL_CAMPAIGN, at: 0.41, sendP: 0.55, openP: 0.28, clickP: 0.2, subject: 'Give $15, get $15', reminders: [] },
  { name: 'Mid-Year Sale', at: 0.52, sendP: 0.7, openP: 0.4, clickP: 0.4, subject: 'Up to 40% off, this week only', reminders: [3] },
  { name: PLANTED_CAMPAIGN, at: 0.76, sendP: 0.8, openP: 0.42, clickP: 0.45, subject: 'Introducing Advocate Rewards: points on every order', reminders: [14] },
  { name: 'Gift Guide', at: 0.9, sendP: 0.7, openP: 0.35, clickP: 0.35, subject: 'Gifts they will actually use', reminders: [7] },
];
const CAMPAIGN_DAYS = 28;
/** Quarterly relationship NPS waves, 91 days apart; one falls three weeks after the planted campaign. */
const WAVES = [0.07, 0.32, 0.57, 0.82];
export const WAVE_EVERY_DAYS = 91;

function dayIndex(w: Span, fraction: number): number {
  return Math.round((w.span * fraction) / DAY);
}

/** When each relationship wave went out (epoch ms, 08:00 on its day, shop time). */
export function demoWaveTimes(options?: DemoOptions): number[] {
  const w = resolve(options);
  return WAVES.map((f) => waveAt(w, f));
}

function waveAt(w: Span, fraction: number): number {
  return w.clock.toInstant(w.start + dayIndex(w, fraction) * DAY + 8 * HOUR);
}

export function demoTruth(options?: DemoOptions): DemoTruth {
  const w = resolve(options);
  const plan = CAMPAIGNS.find((c) => c.name === PLANTED_CAMPAIGN)!;
  const startsAt = w.start + dayIndex(w, plan.at) * DAY;
  return {
    weakChannel: WEAK_CHANNEL,
    campaign: { name: PLANTED_CAMPAIGN, startsAt: w.clock.toInstant(startsAt), endsAt: w.clock.toInstant(startsAt + CAMPAIGN_DAYS * DAY), npsLift: CAMPAIGN_NPS_LIFT },
    channels: [...CHANNELS],
    // The server derives the stage; these are the stages its default rules can produce.
    stages: DEFAULT_STAGE_RULES.map((r) => r.stage),
    costliestTheme: 'delivery',
  };
}

// ---------------------------------------------------------------- reference data

interface Product {
  id: string;
  sku: string;
  name: string;
  price: number;
  category: string;
}
const CATALOG: Product[] = (
  [
    ['Linen Apron', 28, 'Kitchen'],
    ['Stoneware Mug Set', 36, 'Kitchen'],
    ['Cast Iron Skillet', 64, 'Kitchen'],
    ['Chef Knife 8"', 89, 'Kitchen'],
    ['Olive Wood Board', 42, 'Kitchen'],
    ['Pour-Over Coffee Kit', 54, 'Kitchen'],
    ['Glass Storage Jars', 24, 'Kitchen'],
    ['Merino Crew Jumper', 98, 'Apparel'],
    ['Organic Cotton Tee', 26, 'Apparel'],
    ['Waxed Canvas Jacket', 158, 'Apparel'],
    ['Wool Beanie', 22, 'Apparel'],
    ['Chore Trousers', 78, 'Apparel'],
    ['Everyday Socks 3-Pack', 18, 'Apparel'],
    ['Linen Shirt', 68, 'Apparel'],
    ['Ceramic Table Lamp', 119, 'Home'],
    ['Wool Throw Blanket', 96, 'Home'],
    ['Linen Bedding Set', 149, 'Home'],
    ['Scented Candle', 19, 'Home'],
    ['Cotton Bath Towels', 45, 'Home'],
    ['Rattan Basket', 38, 'Home'],
    ['Plant Pot Large', 34, 'Home'],
    ['Face Oil', 32, 'Beauty'],
    ['Hand Cream Trio', 21, 'Beauty'],
    ['Natural Shampoo Bar', 14, 'Beauty'],
    ['Bamboo Toothbrush Set', 12, 'Beauty'],
    ['Body Wash Refill', 17, 'Beauty'],
    ['Leather Card Holder', 39, 'Accessories'],
    ['Canvas Tote', 29, 'Accessories'],
    ['Weekender Bag', 139, 'Accessories'],
    ['Recycled Sunglasses', 59, 'Accessories'],
    ['Steel Water Bottle', 27, 'Outdoor'],
    ['Packable Rain Shell', 112, 'Outdoor'],
    ['Picnic Blanket', 48, 'Outdoor'],
    ['Enamel Camp Mug', 16, 'Outdoor'],
  ] as const
).map(([name, price, category], i) => ({
  id: `prod_${String(i + 1).padStart(3, '0')}`,
  sku: `${category.slice(0, 3).toUpperCase()}-${String(1000 + i * 7)}`,
  name,
  price: price - 0.01,
  category,
}));
const CATEGORIES_OF_PRODUCTS = [...new Set(CATALOG.map((p) => p.category))];

const FIRST_NAMES = [
  'Emma', 'Liam', 'Olivia', 'Noah', 'Ava', 'Elijah', 'Sophia', 'James', 'Mia', 'Lucas', 'Amelia', 'Mateo', 'Harper',
  'Ethan', 'Chloe', 'Arjun', 'Priya', 'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Fatima', 'Omar', 'Aisha', 'Kwame', 'Zara',
  'Lena', 'Jonas', 'Sofia', 'Lukas', 'Camille', 'Hugo', 'Isla', 'Finn', 'Grace', 'Oscar', 'Ruby', 'Leo', 'Maria', 'Diego',
];
const LAST_NAMES = [
  'Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Martinez', 'Lopez', 'Wilson', 'Anderson',
  'Taylor', 'Thomas', 'Moore', 'Martin', 'Lee', 'Walker', 'Patel', 'Shah', 'Kim', 'Nguyen', 'Chen', 'Wang', 'Tanaka',
  'Müller', 'Schmidt', 'Dubois', 'Bernard', "O'Brien", 'Murphy', 'Kelly', 'de Vries', 'Jansen', 'Rossi', 'Okafor',
  'Mensah', 'Hughes', 'Evans', 'Fernández',
];
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com'];

interface Country {
  code: string;
  locale: string;
  zones: string[];
}
const COUNTRIES: Weighted<Country> = [
  [{ code: 'US', locale: 'en-US', zones: ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles'] }, 45],
  [{ code: 'GB', locale: 'en-GB', zones: ['Europe/London'] }, 15],
  [{ code: 'CA', locale: 'en-CA', zones: ['America/Toronto', 'America/Vancouver'] }, 10],
  [{ code: 'AU', locale: 'en-AU', zones: ['Australia/Sydney', 'Australia/Melbourne'] }, 7],
  [{ code: 'DE', locale: 'de-DE', zones: ['Europe/Berlin'] }, 7],
  [{ code: 'FR', locale: 'fr-FR', zones: ['Europe/Paris'] }, 5],
  [{ code: 'NL', locale: 'nl-NL', zones: ['Europe/Amsterdam'] }, 4],
  [{ code: 'IE', locale: 'en-IE', zones: ['Europe/Dublin'] }, 4],
  [{ code: 'ES', locale: 'es-ES', zones: ['Europe/Madrid'] }, 3],
];

type DeviceType = 'mobile' | 'desktop' | 'tablet';
const USER_AGENTS: Record<DeviceType, string[]> = {
  desktop: [
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0',
  ],
  mobile: [
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
    'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36',
  ],
  tablet: [
    'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
    'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  ],
};
const APP_DEVICES = [
  { os: { name: 'iOS', version: '17.4' }, device: { type: 'mobile', manufacturer: 'Apple', model: 'iPhone15,2' } },
  { os: { name: 'iOS', version: '17.5' }, device: { type: 'mobile', manufacturer: 'Apple', model: 'iPhone16,1' } },
  { os: { name: 'Android', version: '14' }, device: { type: 'mobile', manufacturer: 'Google', model: 'Pixel 8' } },
  { os: { name: 'Android', version: '13' }, device: { type: 'mobile', manufacturer: 'samsung', model: 'SM-S911B' } },
  { os: { name: 'iPadOS', version: '17.4' }, device: { type: 'tablet', manufacturer: 'Apple', model: 'iPad13,18' } },
];

/** Where visits come from when they are not a campaign email click. */
const TRAFFIC: Weighted<{ source: string; medium: string; name: string } | null> = [
  [null, 70],
  [{ source: 'google', medium: 'cpc', name: 'Brand Search' }, 9],
  [{ source: 'google', medium: 'cpc', name: 'Shopping Ads' }, 6],
  [{ source: 'facebook', medium: 'paid_social', name: 'Spring Lookbook' }, 5],
  [{ source: 'instagram', medium: 'paid_social', name: 'Creator Picks' }, 5],
  [{ source: 'tiktok', medium: 'paid_social', name: 'Kitchen Hacks' }, 2],
  [{ source: 'pinterest', medium: 'social', name: 'Home Inspiration' }, 3],
];
const REFERRERS = ['https://www.google.com/', 'https://duckduckgo.com/', 'https://www.bing.com/', ''];

const COMPANY_WORDS = ['Northwind', 'Bluebird', 'Granite', 'Harbor', 'Juniper', 'Keystone', 'Lumen', 'Meridian', 'Orchard', 'Pioneer', 'Quarry', 'Redwood', 'Summit', 'Tidewater', 'Willow'];
const COMPANY_SUFFIXES = ['Studio', 'Design Co', 'Hospitality', 'Interiors', 'Cafe Group', 'Workshop', 'Partners'];
const INDUSTRIES = ['Hospitality', 'Interior Design', 'Food & Beverage', 'Retail', 'Events', 'Architecture'];

const CARRIERS = ['UPS', 'FedEx', 'USPS', 'DHL'];

// Comment themes customers raise unprompted, by category: detractors complain about money,
// parcels and service; promoters praise the product and the people.
const THEME_WEIGHTS: Record<Category, Weighted<Theme>> = {
  detractor: [['price', 24], ['delivery', 20], ['support', 22], ['quality', 14], ['usability', 7], ['checkout', 8], ['app', 5]],
  passive: [['price', 30], ['delivery', 20], ['support', 10], ['quality', 12], ['usability', 12], ['checkout', 8], ['app', 8]],
  promoter: [['quality', 32], ['support', 20], ['delivery', 18], ['price', 12], ['usability', 10], ['checkout', 4], ['app', 4]],
};

// ---------------------------------------------------------------- one customer

type Survey = DemoSurvey;
interface PendingAnswer {
  t: number;
  survey: Survey;
  channel: Channel;
  late: boolean;
  orderId?: string;
}

interface Timed {
  t: number;
  m: SpecMessage;
}

class CustomerSim {
  readonly rng: Random;
  readonly userId: string;
  readonly out: Timed[] = [];
  private readonly w: Span;
  private readonly sat: number;
  private readonly anonymousId: string;
  private readonly deviceType: DeviceType;
  private readonly userAgent: string;
  private readonly appUser: boolean;
  private readonly appDevice: (typeof APP_DEVICES)[number];
  private readonly appAnonymousId: string;
  private readonly hasPhone: boolean;
  private readonly country: Country;
  private readonly timezone: string;
  private readonly buyer: boolean;
  private readonly orderRate: number; // per day
  private readonly sessionRate: number; // per day
  private readonly churnRate: number; // per day
  private orderMult = 1;
  private sessionMult = 1;
  private churnMult = 1;
  private orders = 0;
  private lastAnswerAt = -Infinity;
  private lastInviteAt = -Infinity;
  private lastLateAt = -Infinity;
  private exposedAt = Infinity;
  private pending: PendingAnswer[] = [];
  private traits: Record<string, unknown> | null = null;

  constructor(w: Span, private readonly index: number) {
    this.w = w;
    this.rng = new Random(hashSeed(w.seed, index));
    const rng = this.rng;
    this.userId = `cust_${String(index + 1).padStart(5, '0')}`;
    this.sat = rng.normal();
    this.anonymousId = rng.uuid();
    this.deviceType = rng.weighted<DeviceType>([['mobile', 55], ['desktop', 38], ['tablet', 7]]);
    this.userAgent = rng.pick(USER_AGENTS[this.deviceType]);
    this.appUser = rng.chance(this.deviceType === 'desktop' ? 0.2 : 0.4);
    this.appDevice = rng.pick(APP_DEVICES);
    this.appAnonymousId = rng.uuid();
    this.hasPhone = rng.chance(0.6);
    this.country = rng.weighted(COUNTRIES);
    this.timezone = rng.pick(this.country.zones);
    // A fifth of sign-ups never buy; happier people are a little more likely to.
    this.buyer = rng.chance(Math.min(0.95, Math.max(0.5, 0.8 + 0.06 * this.sat)));
    this.orderRate = this.buyer ? (0.3 * Math.exp(0.3 * this.sat + rng.normal(0, 0.45))) / 30 : 0;
    this.sessionRate = (1.3 * Math.exp(0.25 * this.sat + rng.normal(0, 0.4))) / 30;
    this.churnRate = (0.045 * Math.exp(-0.4 * this.sat)) / 30;
  }

  private emit(t: number, m: SpecMessage): void {
    this.out.push({ t: Math.round(t), m });
  }

  private webContext(extra?: Partial<SpecContext>): SpecContext {
    return {
      library: LIBRARY,
      userAgent: this.userAgent,
      device: { type: this.deviceType },
      locale: this.country.locale,
      timezone: this.timezone,
      ...extra,
    };
  }

  private appContext(): SpecContext {
    return {
      library: LIBRARY,
      userAgent: `AdvocateShop/3.4.1 (${this.appDevice.os.name} ${this.appDevice.os.version})`,
      app: { name: 'Advocate Shop', version: '3.4.1', build: '341' },
      os: this.appDevice.os,
      device: { ...this.appDevice.device },
      locale: this.country.locale,
      timezone: this.timezone,
    };
  }

  private page(t: number, ids: { userId?: string; anonymousId: string }, name: string, path: string, title: string, opts: { category?: string; search?: string; referrer?: string; campaign?: SpecContext['campaign'] } = {}): void {
    const search = opts.search ?? '';
    const url = SITE + path + search;
    const pageCtx = { path, url, title, search, referrer: opts.referrer ?? '' };
    this.emit(t, {
      type: 'page',
      ...ids,
      name,
      properties: { ...(opts.category ? { category: opts.category } : {}), name, ...pageCtx },
      context: this.webContext({ page: pageCtx, ...(opts.campaign ? { campaign: opts.campaign } : {}) }),
    });
  }

  /** A landing page, optionally from a tracked campaign link (utm parameters in the URL). */
  private landing(t: number, ids: { userId?: string; anonymousId: string }, campaign: { source: string; medium: string; name: string } | null): void {
    if (campaign) {
      const search = `?utm_source=${campaign.source}&utm_medium=${campaign.medium}&utm_campaign=${encodeURIComponent(campaign.name)}`;
      this.page(t, ids, 'Home', '/', 'Advocate Shop', { search, campaign, referrer: campaign.medium === 'email' ? '' : `https://www.${campaign.source}.com/` });
    } else {
      this.page(t, ids, 'Home', '/', 'Advocate Shop', { referrer: this.rng.pick(REFERRERS) });
    }
  }

  private productPage(t: number, ids: { userId?: string; anonymousId: string }, p: Product): void {
    const slug = p.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '');
    this.page(t, ids, 'Product', `/products/${slug}`, `${p.name} | Advocate Shop`, { category: p.category });
  }

  /** Anonymous browsing, then sign-up; older customers "sign up" as the first login on this device. */
  signUp(t: number, createdAt: number, older: boolean): void {
    const rng = this.rng;
    const w = this.w;
    // A few customers browsed first on another device; alias ties that history to them later.
    if (!older && rng.chance(0.04)) {
      const oldAnon = rng.uuid();
      const before = t - rng.float(2, 30) * DAY;
      if (before > w.start + HOUR) {
        this.page(before, { anonymousId: oldAnon }, 'Home', '/', 'Advocate Shop', { referrer: rng.pick(REFERRERS) });
        this.productPage(before + rng.float(1, 4) * MINUTE, { anonymousId: oldAnon }, rng.pick(CATALOG));
        const aliasAt = t + rng.float(1, 7) * DAY;
        this.emit(aliasAt, { type: 'alias', previousId: oldAnon, userId: this.userId, context: this.webContext() });
        this.page(aliasAt + 2000, { userId: this.userId, anonymousId: oldAnon }, 'Account', '/account', 'Your account | Advocate Shop');
      }
    }
    const anon = { anonymousId: this.anonymousId };
    const firstVisit = t - rng.float(3, 25) * MINUTE;
    this.landing(firstVisit, anon, older ? null : rng.weighted(TRAFFIC));
    if (rng.chance(0.6)) this.productPage(firstVisit + rng.float(0.5, 2) * MINUTE, anon, rng.pick(CATALOG));
    this.page(t - 30_000, anon, 'Sign Up', '/account/register', 'Create an account | Advocate Shop');

    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const plan = rng.weighted<'basic' | 'plus' | 'pro'>([['basic', 60], ['plus', 28], ['pro', 12]]);
    const local = `${first}.${last}`.toLowerCase().normalize('NFD').replace(/[^a-z.]/g, '');
    const traits: Record<string, unknown> = {
      email: `${local}${this.index + 1}@${rng.pick(EMAIL_DOMAINS)}`,
      name: `${first} ${last}`,
      plan,
      country: this.country.code,
      created_at: wallTime(createdAt),
    };
    if (this.hasPhone) traits.phone = `+1555${String(rng.int(0, 9_999_999)).padStart(7, '0')}`;
    this.traits = traits;
    this.emit(t, { type: 'identify', userId: this.userId, anonymousId: this.anonymousId, traits, context: this.webContext() });

    if (plan === 'pro') {
      // Company accounts are shared: several pro customers land in the same group.
      const companies = Math.max(5, Math.round(w.customers * 0.12 / 3));
      const k = rng.int(0, companies - 1);
      this.emit(t + 5000, {
        type: 'group',
        userId: this.userId,
        anonymousId: this.anonymousId,
        groupId: `acct_${String(k + 1).padStart(4, '0')}`,
        traits: {
          name: `${COMPANY_WORDS[k % COMPANY_WORDS.length]} ${COMPANY_SUFFIXES[Math.floor(k / COMPANY_WORDS.length) % COMPANY_SUFFIXES.length]}${k >= COMPANY_WORDS.length * COMPANY_SUFFIXES.length ? ` ${Math.floor(k / (COMPANY_WORDS.length * COMPANY_SUFFIXES.length)) + 1}` : ''}`,
          industry: INDUSTRIES[k % INDUSTRIES.length],
          employees: 5 + ((k * 37) % 240),
          plan: 'pro',
        },
        context: this.webContext(),
      });
    }
    // Many people sign up at checkout, so the first order often comes minutes later.
    if (this.buyer && rng.chance(0.45)) this.session(t + rng.float(1, 6) * MINUTE, true, null, true);
  }

  private sessionStart(dayStart: number): number {
    // Evenings and lunchtime dominate online shopping.
    const hour = this.rng.weighted<number>([[8, 4], [10, 6], [12, 10], [14, 7], [16, 6], [18, 9], [20, 12], [22, 6]]);
    return dayStart + (hour + this.rng.float(0, 2)) * HOUR;
  }

  /** One visit on the web or in the app; with `order`, it ends in a purchase. */
  private session(t: number, order: boolean, campaign: { source: string; medium: string; name: string } | null, firstOrder = false): void {
    const rng = this.rng;
    const inApp = this.appUser && !firstOrder && !campaign && rng.chance(0.55);
    const step = () => (t += rng.float(20, 150) * 1000);
    const browse = order ? rng.int(1, 3) : rng.int(0, 3);
    const basket = order ? this.basket() : [];
    if (inApp) {
      const ids = { userId: this.userId, anonymousId: this.appAnonymousId };
      const screen = (name: string, properties: Record<string, unknown> = {}) =>
        this.emit(step(), { type: 'screen', ...ids, name, properties: { name, ...properties }, context: this.appContext() });
      screen('Home');
      for (let i = 0; i < browse; i++) {
        const p = rng.pick(CATALOG);
        screen(rng.chance(0.3) ? 'Category' : 'Product', { product_id: p.id, category: p.category });
      }
      if (!order && rng.chance(0.2)) screen('Order Tracking');
      if (order) {
        screen('Cart');
        screen('Checkout');
        this.order(step(), ids, basket, this.appContext());
        screen('Order Confirmation');
      }
      return;
    }
    const ids = { userId: this.userId, anonymousId: this.anonymousId };
    if (!firstOrder) this.landing(t, ids, campaign ?? rng.weighted(TRAFFIC));
    for (let i = 0; i < browse; i++) {
      if (rng.chance(0.25)) {
        const cat = rng.pick(CATEGORIES_OF_PRODUCTS);
        this.page(step(), ids, 'Category', `/c/${cat.toLowerCase()}`, `${cat} | Advocate Shop`, { category: cat });
      } else if (rng.chance(0.15)) {
        const q = rng.pick(['linen', 'mug', 'gift', 'jacket', 'candle', 'sale', 'towels', 'bag']);
        this.page(step(), ids, 'Search', '/search', `Search: ${q} | Advocate Shop`, { search: `?q=${q}` });
      } else {
        this.productPage(step(), ids, basket[i]?.p ?? rng.pick(CATALOG));
      }
    }
    if (!order && rng.chance(0.12)) this.page(step(), ids, 'Help', '/help/returns', 'Returns | Advocate Shop');
    if (order) {
      this.page(step(), ids, 'Cart', '/cart', 'Your cart | Advocate Shop');
      this.page(step(), ids, 'Checkout', '/checkout', 'Checkout | Advocate Shop');
      this.order(step(), ids, basket, this.webContext());
      this.page(step(), ids, 'Order Confirmation', '/checkout/confirmation', 'Thank you | Advocate Shop');
    }
  }

  private basket(): { p: Product; quantity: number }[] {
    const rng = this.rng;
    const n = Math.min(4, 1 + rng.poisson(Math.max(0.2, 0.55 + 0.15 * this.sat)));
    const items: { p: Product; quantity: number }[] = [];
    let subtotal = 0;
    for (let i = 0; i < n || subtotal < 20; i++) {
      const p = rng.pick(CATALOG);
      const quantity = p.price < 60 && rng.chance(0.15) ? 2 : 1;
      // Keep baskets in the range a homeware shop actually sees ($20–$300).
      if (items.length > 0 && subtotal + p.price * quantity > 300) break;
      items.push({ p, quantity });
      subtotal += p.price * quantity;
    }
    return items;
  }

  private order(t: number, ids: { userId: string; anonymousId: string }, items: { p: Product; quantity: number }[], context: SpecContext): void {
    const rng = this.rng;
    this.orders++;
    const orderId = `ord_${this.index + 1}_${this.orders}`;
    const subtotal = cents(items.reduce((s, i) => s + i.p.price * i.quantity, 0));
    const coupon = rng.chance(0.12) ? rng.pick(['WELCOME10', 'FRIEND15', 'SAVE10']) : undefined;
    const discount = coupon ? cents(subtotal * 0.1) : 0;
    const revenue = cents(subtotal - discount);
    const shipping = revenue >= 75 ? 0 : 5.99;
    const tax = cents(revenue * 0.08);
    this.emit(t, {
      type: 'track',
      ...ids,
      event: ORDER_COMPLETED,
      properties: {
        order_id: orderId,
        affiliation: 'Advocate Shop',
        subtotal,
        revenue,
        total: cents(revenue + shipping + tax),
        shipping,
        tax,
        discount,
        ...(coupon ? { coupon } : {}),
        currency: 'USD',
        products: items.map(({ p, quantity }, position) => ({
          product_id: p.id,
          sku: p.sku,
          name: p.name,
          price: p.price,
          quantity,
          category: p.category,
          position: position + 1,
        })),
      },
      context,
    });
    // Late parcels are the main source of detractors in the story (the "delivery" theme driver).
    const late = rng.chance(0.12);
    const deliveredAt = t + (late ? rng.float(8, 16) : rng.float(1.5, 5)) * DAY;
    if (late) this.lastLateAt = deliveredAt;
    const tracked = rng.chance(0.9);
    if (tracked) {
      this.emit(deliveredAt, {
        type: 'track',
        userId: this.userId,
        event: 'Order Delivered',
        properties: { order_id: orderId, carrier: rng.pick(CARRIERS), days_to_deliver: Math.round((deliveredAt - t) / DAY), on_time: !late },
        context: { library: LIBRARY },
      });
    }
    // Post-purchase NPS: the survey's trigger invites three days after "Order Delivered" (so not
    // when the carrier never reported it), at most once per 45 days.
    const invite = deliveredAt + POST_PURCHASE_DELAY_DAYS * DAY;
    if (tracked && invite - this.lastInviteAt > POST_PURCHASE_RECONTACT_DAYS * DAY && rng.chance(POST_PURCHASE_SAMPLE)) {
      this.lastInviteAt = invite;
      if (rng.chance(late ? 0.65 : 0.5)) {
        const channel = this.channel('postPurchase');
        this.pending.push({ t: invite + rng.exponential(1 / 14) * HOUR, survey: 'postPurchase', channel, late, orderId });
      }
    }
  }

  private channel(survey: Survey): Channel {
    const options: [Channel, number][] =
      survey === 'postPurchase'
        ? [['email', 34], ['web', 24], ['sms', 22], ['app', 24], ['store', 8]]
        : [['email', 30], ['web', 36], ['sms', 18], ['app', 20], ['store', 14]];
    return this.rng.weighted(options.filter(([c]) => (c !== 'sms' || this.hasPhone) && (c !== 'app' || this.appUser)));
  }

  private campaign(plan: CampaignPlan, send: number): void {
    const rng = this.rng;
    if (!rng.chance(plan.sendP)) return;
    // The email tool writes who was asked for a referral onto the profile, the morning it sends.
    if (plan.name === REFERRAL_CAMPAIGN && this.traits) {
      this.emit(send + 5 * HOUR, { type: 'identify', userId: this.userId, traits: { ...this.traits, referral_invited_at: wallTime(send + 5 * HOUR) }, context: { library: LIBRARY } });
    }
    const id = `cmp_${plan.name.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`;
    const campaignCtx = { name: plan.name, source: 'newsletter', medium: 'email' };
    for (const offset of [0, ...plan.reminders]) {
      if (!rng.chance(plan.openP)) continue;
      const opened = send + offset * DAY + rng.exponential(1 / 10) * HOUR + rng.float(6, 12) * HOUR;
      const props = { campaign: plan.name, campaign_id: id, email_subject: offset ? `Reminder: ${plan.subject}` : plan.subject };
      const ctx = { library: LIBRARY, userAgent: this.userAgent, device: { type: this.deviceType }, campaign: campaignCtx };
      this.emit(opened, { type: 'track', userId: this.userId, event: 'Campaign Email Opened', properties: props, context: ctx });
      if (plan.name === PLANTED_CAMPAIGN) this.exposedAt = Math.min(this.exposedAt, opened);
      if (rng.chance(plan.clickP)) {
        const clicked = opened + rng.float(5, 120) * 1000;
        this.emit(clicked, { type: 'track', userId: this.userId, event: 'Campaign Clicked', properties: { ...props, link_url: `${SITE}/?utm_campaign=${encodeURIComponent(plan.name)}` }, context: ctx });
        this.session(clicked + 3000, false, campaignCtx);
      }
      break; // a reminder goes only to those who did not open the first email
    }
  }

  private answer(a: PendingAnswer): void {
    const rng = this.rng;
    if (a.t - this.lastAnswerAt < 60 * DAY) return; // someone who answered lately ignores the next invitation
    let shift = 0;
    if (a.channel === WEAK_CHANNEL) shift += WEAK_CHANNEL_SHIFT;
    const recentLate = a.late || a.t - this.lastLateAt < 30 * DAY;
    if (a.late) shift += LATE_DELIVERY_SHIFT;
    else if (recentLate) shift += LATE_DELIVERY_SHIFT / 2;
    if (this.exposedAt < a.t) shift += CAMPAIGN_SHIFT;
    let x = BASE_SCORE + SAT_WEIGHT * this.sat + rng.normal(0, ANSWER_NOISE) + shift;
    // Unhappy customers use the whole bottom of the scale; a plain normal would pile them at 5–6.
    if (x < 6.5) x = 6.5 - (6.5 - x) * 1.5;
    const score = Math.min(10, Math.max(0, Math.round(x)));
    const category = categoryOf(score);
    this.lastAnswerAt = a.t;

    const survey = this.w.surveys[a.survey];
    const properties: Record<string, unknown> = { score, channel: a.channel, survey_id: survey.id };
    if (survey.version != null) properties.survey_version = survey.version;
    if (rng.chance(category === 'detractor' ? 0.78 : category === 'passive' ? 0.56 : 0.63)) {
      let main: Theme;
      if (recentLate && category !== 'promoter' && rng.chance(0.9)) main = 'delivery';
      else if (a.channel === 'app' && rng.chance(0.35)) main = 'app';
      else main = rng.weighted(THEME_WEIGHTS[category]);
      const secondary = rng.chance(0.35) ? rng.weighted(THEME_WEIGHTS[category]) : undefined;
      properties.comment = makeComment(rng, category, main, secondary).text;
    }
    if (a.orderId) properties.order_id = a.orderId;

    const ids: { userId: string; anonymousId?: string } = { userId: this.userId };
    let context: SpecContext;
    if (a.channel === 'web') {
      ids.anonymousId = this.anonymousId;
      context = this.webContext({ page: { path: '/account/orders', url: `${SITE}/account/orders`, title: 'Your orders | Advocate Shop' } });
    } else if (a.channel === 'app') {
      ids.anonymousId = this.appAnonymousId;
      context = this.appContext();
    } else if (a.channel === 'store') {
      // In-store kiosk (a tablet), reached through the QR code on the receipt.
      context = { library: LIBRARY, device: { type: 'tablet' }, userAgent: USER_AGENTS.tablet[0] };
    } else {
      // Email and SMS answers come through the hosted link survey, opened on the phone for SMS.
      const device: DeviceType = a.channel === 'sms' ? 'mobile' : this.deviceType;
      context = { library: LIBRARY, device: { type: device }, userAgent: a.channel === 'sms' ? USER_AGENTS.mobile[0] : this.userAgent };
    }
    this.emit(a.t, { type: 'track', ...ids, event: NPS_RESPONDED, properties, context });

    const after = AFTER_ANSWER[category];
    this.orderMult = after.orders;
    this.sessionMult = after.sessions;
    this.churnMult = after.churn;
  }

  /** Day-by-day life from sign-up until churn or the end of the window. */
  live(signupAt: number, waveDays: Map<number, WaveTally>, campaignDays: Map<number, CampaignPlan>): void {
    const rng = this.rng;
    const w = this.w;
    const firstDay = Math.floor((signupAt - w.start) / DAY) + 1;
    for (let d = firstDay; w.start + d * DAY < w.now; d++) {
      const dayStart = w.start + d * DAY;
      const dayEnd = dayStart + DAY;
      if (this.pending.length) {
        this.pending.sort((a, b) => a.t - b.t);
        while (this.pending.length && this.pending[0].t < dayEnd) this.answer(this.pending.shift()!);
      }
      if (rng.chance(this.churnRate * this.churnMult)) return; // churned: silence from here on
      const plan = campaignDays.get(d);
      if (plan && dayStart - signupAt > 7 * DAY) this.campaign(plan, dayStart);
      const wave = waveDays.get(d);
      if (wave) {
        wave.customers++;
        if (dayStart - signupAt <= RELATIONSHIP_MIN_TENURE_DAYS * DAY) wave.tooNew++;
        else if (dayStart - this.lastInviteAt <= CONTACT_GAP_DAYS * DAY) wave.recentlyAsked++;
        else if (!rng.chance(RELATIONSHIP_SAMPLE)) wave.notSampled++;
        else {
          wave.invited++;
          this.lastInviteAt = dayStart;
          if (rng.chance(0.35)) {
            this.pending.push({ t: dayStart + rng.float(8, 20) * HOUR + rng.exponential(1 / 2) * DAY, survey: 'relationship', channel: this.channel('relationship'), late: false });
          }
        }
      }
      if (rng.chance(this.orderRate * this.orderMult)) this.session(this.sessionStart(dayStart), true, null);
      else if (rng.chance(this.sessionRate * this.sessionMult)) this.session(this.sessionStart(dayStart), false, null);
    }
  }

  /** Chronological, inside the window, with ids and ISO timestamps (wall clock turned into instants) filled in. */
  finish(): SpecMessage[] {
    const w = this.w;
    const timed = this.out.filter((x) => x.t > w.start && x.t < w.now);
    timed.sort((a, b) => a.t - b.t);
    const prefix = `demo-${w.seed}-${this.index + 1}-`;
    const iso = (wall: number) => new Date(w.clock.toInstant(wall)).toISOString();
    // Segment's own key order (type, messageId, timestamp first) makes raw dumps easy to read.
    return timed.map(({ t, m: { type, ...rest } }, n) => {
      if (rest.traits) rest.traits = Object.fromEntries(Object.entries(rest.traits).map(([k, v]) => [k, v instanceof WallTime ? iso(v.wall) : v]));
      return { type, messageId: prefix + n, timestamp: iso(t), ...rest };
    });
  }
}

/** A time in a trait, written as an ISO instant only when the message is finished. */
class WallTime {
  constructor(readonly wall: number) {}
}
const wallTime = (wall: number) => new WallTime(Math.round(wall));

function cents(x: number): number {
  return Math.round(x * 100) / 100;
}

/** One array per customer, that customer's messages in chronological order. */
export function* generateDemo(options?: DemoOptions): Generator<SpecMessage[]> {
  const w = resolve(options);
  const waves = WAVES.map((f) => ({ day: dayIndex(w, f), tally: { at: waveAt(w, f), customers: 0, tooNew: 0, recentlyAsked: 0, notSampled: 0, invited: 0 } }));
  options?.tally?.waves.push(...waves.map((x) => x.tally));
  const waveDays = new Map(waves.map((x) => [x.day, x.tally] as const));
  const campaignDays = new Map(CAMPAIGNS.map((c) => [dayIndex(w, c.at), c] as const));
  for (let i = 0; i < w.customers; i++) {
    const sim = new CustomerSim(w, i);
    const rng = sim.rng;
    // 15% were customers before the window; the rest sign up at a rate that grows over the year.
    const older = rng.chance(0.15);
    const signupAt = older
      ? w.start + rng.float(0.5, 10) * DAY
      : w.start + HOUR + (w.span - 2 * HOUR) * Math.pow(rng.next(), 0.85);
    const createdAt = older ? w.start - rng.float(30, 900) * DAY : signupAt;
    sim.signUp(signupAt, createdAt, older);
    sim.live(signupAt, waveDays, campaignDays);
    yield sim.finish();
  }
}
