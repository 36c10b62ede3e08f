import { themeSentiment, type SentimentLabel } from '../domain/drivers.ts';
import type { AnswerFact } from '../store/answer-feed.ts';

/**
 * Text values as small integers: a breakdown counts into an array indexed by code instead of a
 * map keyed by string. Code 0 is "not set".
 */
export class Dict {
  readonly labels: Array<string | null> = [null];
  private readonly codes = new Map<string, number>();

  code(value: string | null | undefined): number {
    if (value == null || value === '') return 0;
    let c = this.codes.get(value);
    if (c === undefined) {
      c = this.labels.length;
      this.labels.push(value);
      this.codes.set(value, c);
    }
    return c;
  }

  /** The code of a value already seen, or -1. */
  find(value: string): number {
    return this.codes.get(value) ?? -1;
  }

  get size(): number {
    return this.labels.length;
  }
}

/** Erased answers keep their row (so row numbers stay valid) with this category. */
export const ERASED = 3;
/** A row's state in the journal: its score 0–10, or this when erased. */
export const ERASED_STATE = 11;
const JOURNAL_MAX = 3 * 1_000_000;
/** Category by state (score 0–10, then ERASED_STATE). */
export const CATEGORY_OF_STATE = new Uint8Array([2, 2, 2, 2, 2, 2, 2, 1, 1, 0, 0, ERASED]);

export type CodedColumn = 'channel' | 'stage' | 'survey' | 'campaign' | 'utmSource' | 'device';

/** Sentiment codes: 0 no analysis (no comment), then these. */
export const SENTIMENT_LABELS: ReadonlyArray<string | null> = [null, 'negative', 'neutral', 'positive'];
const SENTIMENT_CODE: Record<string, number> = { negative: 1, neutral: 2, positive: 3 };

/**
 * A workspace's answers as columns of typed arrays: one tight loop over a million rows filters
 * and counts in a few milliseconds, where SQLite's GROUP BY takes hundreds.
 */
export class AnswerColumns {
  n = 0;
  private cap = 0;
  private readonly rowOf = new Map<string, number>();
  at = new Float64Array(0);
  updated = new Float64Array(0);
  /** 0 promoter, 1 passive, 2 detractor, 3 erased: what every count reads, one byte per answer. */
  category = new Uint8Array(0);
  /** 0–10, as a count key (the distribution), so it is a Uint32Array like every other key column. */
  score = new Uint32Array(0);
  /** Days since the last order and since first seen, at answer time; NaN when unknown. */
  daysSinceOrder = new Float32Array(0);
  daysSinceFirstSeen = new Float32Array(0);
  profile = new Int32Array(0);
  readonly coded: Record<CodedColumn, Uint32Array> = { channel: new Uint32Array(0), stage: new Uint32Array(0), survey: new Uint32Array(0), campaign: new Uint32Array(0), utmSource: new Uint32Array(0), device: new Uint32Array(0) };
  readonly dicts: Record<CodedColumn, Dict> = { channel: new Dict(), stage: new Dict(), survey: new Dict(), campaign: new Dict(), utmSource: new Dict(), device: new Dict() };
  readonly profiles = new Dict();
  /** Answer properties as stored (JSON), null when empty: read only by property breakdowns. */
  readonly props: Array<string | null> = [];
  /** Answer ids by row (the strings rowOf holds already): quotes and exports name answers. */
  readonly ids: string[] = [];
  /**
   * The comment's analysis, which changes when a comment is edited or analysed again (a new
   * model, an edited taxonomy): so it is never cubed or indexed (see DimensionColumn.changes).
   * sentiment: SENTIMENT_LABELS code. Themes: `themeWords` words of bits per row, bit b for theme
   * code b + 1 (themeDict); themeNegative / themePositive: the same bits for the theme's sentiment
   * in that comment (domain/drivers.ts themeSentiment).
   */
  sentiment = new Uint32Array(0);
  analyzedAt = new Float64Array(0);
  themeWords = 1;
  themeBits: Uint32Array = new Uint32Array(0);
  themeNegative: Uint32Array = new Uint32Array(0);
  themePositive: Uint32Array = new Uint32Array(0);
  readonly themeDict = new Dict();
  /**
   * Changes to rows already held, as triples (row, state before, state after), where a state is
   * the score or ERASED_STATE: what incremental counts (cube.ts) replay to stay exact. When it
   * would outgrow JOURNAL_MAX it starts again under a new epoch and those counts are rebuilt.
   */
  journal = new Int32Array(3 * 1024);
  journalLength = 0;
  journalEpoch = 0;
  /** How many times an answer held changed hands (a merge): indexes by person are rebuilt after. */
  moves = 0;

  /** journalMax: how many changes (× 3) to keep before starting a new epoch (small in tests). */
  constructor(capacity = 1024, private readonly journalMax = JOURNAL_MAX) {
    this.grow(capacity);
  }

  private grow(min: number): void {
    let cap = Math.max(1024, this.cap);
    while (cap < min) cap *= 2;
    if (cap === this.cap) return;
    const copy = <T extends Float64Array | Float32Array | Uint8Array | Int32Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a.subarray(0, this.n) as never);
      return b;
    };
    this.at = copy(this.at, (k) => new Float64Array(k));
    this.updated = copy(this.updated, (k) => new Float64Array(k));
    this.category = copy(this.category, (k) => new Uint8Array(k));
    this.score = copy(this.score, (k) => new Uint32Array(k));
    this.daysSinceOrder = copy(this.daysSinceOrder, (k) => new Float32Array(k));
    this.daysSinceFirstSeen = copy(this.daysSinceFirstSeen, (k) => new Float32Array(k));
    this.profile = copy(this.profile, (k) => new Int32Array(k));
    for (const key of Object.keys(this.coded) as CodedColumn[]) this.coded[key] = copy(this.coded[key], (k) => new Uint32Array(k));
    this.sentiment = copy(this.sentiment, (k) => new Uint32Array(k));
    this.analyzedAt = copy(this.analyzedAt, (k) => new Float64Array(k));
    this.cap = cap;
    this.themeBits = this.restride(this.themeBits, this.themeWords);
    this.themeNegative = this.restride(this.themeNegative, this.themeWords);
    this.themePositive = this.restride(this.themePositive, this.themeWords);
  }

  /** A bit array of `this.themeWords` words per row, copied into `words` per row at the current capacity. */
  private restride(a: Uint32Array, words: number): Uint32Array {
    const b = new Uint32Array(this.cap * words);
    const old = this.themeWords;
    if (old === words) b.set(a.subarray(0, this.n * old));
    else for (let i = 0; i < this.n; i++) for (let w = 0; w < old; w++) b[i * words + w] = a[i * old + w];
    return b;
  }

  /** The theme's code, giving it a bit (and a word more per row when the bits run out). */
  private themeCode(id: string): number {
    const code = this.themeDict.code(id);
    if (code > this.themeWords * 32) {
      const words = this.themeWords * 2;
      this.themeBits = this.restride(this.themeBits, words);
      this.themeNegative = this.restride(this.themeNegative, words);
      this.themePositive = this.restride(this.themePositive, words);
      this.themeWords = words;
    }
    return code;
  }

  /** Sets a row's analysis from the stored one (null: none). */
  private setText(i: number, f: AnswerFact): void {
    this.sentiment[i] = f.sentiment ? SENTIMENT_CODE[f.sentiment] ?? 0 : 0;
    this.analyzedAt[i] = f.analyzed_at == null ? 0 : Number(f.analyzed_at);
    const W = this.themeWords;
    for (let w = 0; w < W; w++) this.themeBits[i * W + w] = this.themeNegative[i * W + w] = this.themePositive[i * W + w] = 0;
    if (!f.themes || !f.sentiment) return;
    let themes: Array<{ id?: unknown; mentions?: Array<{ sentiment?: { label?: SentimentLabel } }> }>;
    try {
      themes = JSON.parse(f.themes);
    } catch {
      return;
    }
    if (!Array.isArray(themes)) return;
    for (const t of themes) {
      if (typeof t?.id !== 'string') continue;
      const bit = this.themeCode(t.id) - 1;
      // themeCode may have widened the rows.
      const at = i * this.themeWords + (bit >>> 5);
      const mask = 1 << (bit & 31);
      this.themeBits[at] |= mask;
      const labels = Array.isArray(t.mentions) ? t.mentions.map((m) => m?.sentiment?.label).filter((l): l is SentimentLabel => l === 'negative' || l === 'neutral' || l === 'positive') : [];
      const label = themeSentiment(labels, f.sentiment);
      if (label === 'negative') this.themeNegative[at] |= mask;
      else if (label === 'positive') this.themePositive[at] |= mask;
    }
  }

  /** Whether row i has theme code `code`. */
  hasTheme(i: number, code: number): boolean {
    const bit = code - 1;
    return (this.themeBits[i * this.themeWords + (bit >>> 5)] & (1 << (bit & 31))) !== 0;
  }

  /** Adds or updates an answer; false when the stored row is already this version of it. */
  upsert(f: AnswerFact): boolean {
    const updatedAt = Number(f.updated_at);
    let i = this.rowOf.get(f.id);
    const added = i === undefined;
    if (i === undefined) {
      if (this.n === this.cap) this.grow(this.n + 1);
      i = this.n++;
      this.rowOf.set(f.id, i);
      // What an answer was asked in and when does not change; only its score and person do.
      this.at[i] = Number(f.answered_at);
      this.coded.channel[i] = this.dicts.channel.code(f.channel);
      this.coded.stage[i] = this.dicts.stage.code(f.stage);
      this.coded.survey[i] = this.dicts.survey.code(f.survey_id);
      this.coded.campaign[i] = this.dicts.campaign.code(f.campaign);
      this.coded.utmSource[i] = this.dicts.utmSource.code(f.utm_source);
      this.coded.device[i] = this.dicts.device.code(f.device);
      this.daysSinceOrder[i] = f.days_since_last_order == null ? NaN : Number(f.days_since_last_order);
      this.daysSinceFirstSeen[i] = f.days_since_first_seen == null ? NaN : Number(f.days_since_first_seen);
      this.props[i] = f.properties && f.properties !== '{}' ? f.properties : null;
      this.ids[i] = f.id;
      this.setText(i, f);
    } else if (this.updated[i] === updatedAt && this.category[i] !== ERASED) {
      // The answer as held; its comment may have been analysed (again) since.
      if (f.sentiment === undefined || this.analyzedAt[i] === Number(f.analyzed_at ?? 0)) return false;
      this.setText(i, f);
      return true;
    } else {
      this.log(i, this.stateOf(i), Number(f.score));
      if (f.sentiment !== undefined) this.setText(i, f);
    }
    this.updated[i] = updatedAt;
    this.score[i] = Number(f.score);
    this.category[i] = CATEGORY_OF_STATE[Number(f.score)];
    const person = this.profiles.code(f.profile_id);
    if (!added && this.profile[i] !== person) this.moves++;
    this.profile[i] = person;
    return true;
  }

  remove(id: string): boolean {
    const i = this.rowOf.get(id);
    if (i === undefined || this.category[i] === ERASED) return false;
    this.log(i, this.stateOf(i), ERASED_STATE);
    this.category[i] = ERASED;
    return true;
  }

  stateOf(i: number): number {
    return this.category[i] === ERASED ? ERASED_STATE : this.score[i];
  }

  private log(row: number, before: number, after: number): void {
    if (before === after) return;
    if (this.journalLength + 3 > this.journalMax) {
      this.journalLength = 0;
      this.journalEpoch++;
      return;
    }
    if (this.journalLength + 3 > this.journal.length) {
      const bigger = new Int32Array(this.journal.length * 2);
      bigger.set(this.journal);
      this.journal = bigger;
    }
    this.journal[this.journalLength++] = row;
    this.journal[this.journalLength++] = before;
    this.journal[this.journalLength++] = after;
  }
}
