import { Random } from '../domain/random.ts';
import { isNegator, sentimentOf, type Sentiment, type SentimentLabel } from './sentiment.ts';
import { tokenize, type Token } from './tokens.ts';

/**
 * A workspace's own sentiment model. Every NPS answer labels its comment (detractor → negative,
 * passive → neutral, promoter → positive), so each workspace teaches a classifier the words its
 * customers use: multinomial logistic regression on TF-IDF weighted words and word pairs (words
 * after a negator marked as such), with the lexicon's score as features, which is all there is
 * before the first answers (cold start).
 */

export const LABELS: readonly SentimentLabel[] = ['negative', 'neutral', 'positive'];

export function labelOfScore(score: number): SentimentLabel {
  return score <= 6 ? 'negative' : score <= 8 ? 'neutral' : 'positive';
}

export interface Example {
  text: string;
  label: SentimentLabel;
}

export interface SentimentModel {
  version: 1;
  trainedAt: number;
  examples: number;
  /** feature → column; idf per column. */
  vocabulary: Record<string, number>;
  idf: number[];
  /** Per label (LABELS order): a weight per column, then the lexicon features, then the bias. */
  weights: number[][];
  evaluation: Evaluation | null;
}

export interface Evaluation {
  /** Examples held out from training to measure on. */
  heldOut: number;
  accuracy: number;
  recall: Record<SentimentLabel, number>;
  /** The lexicon alone on the same examples. */
  lexiconAccuracy: number;
  /** Mean over the three labels of F1 (harmonic mean of precision and recall), the model's and the lexicon's. */
  macroF1?: number;
  lexiconMacroF1?: number;
  /** Telling detractors' comments from promoters' (passives left out): the model, and the lexicon. */
  detractorVsPromoter: { model: number; lexicon: number; examples: number };
}

const NEGATION_REACH = 3;
const MIN_COUNT = 2;
const LEXICON_FEATURES = 3;
const EPOCHS = 25;
/**
 * Adagrad's step. A smaller one stops further from fitting every word of the training comments:
 * which is right depends on how many comments a workspace has and how it writes (on the BT answers
 * 0.5 held out 74.6%, 0.1 77.0%, 0.03 78.3%), so each training picks from these on a part of its
 * training comments it does not learn from.
 */
const RATES = [0.3, 0.1, 0.03];
const RATE = 0.1;
/** Below this many training comments the choice would be noise: the middle step is taken. */
const MIN_TO_CHOOSE = 250;
const L2 = 1e-5;

/**
 * The form a token counts as. Short messages (chat, social posts) carry forms that never repeat or
 * that spell a known word another way: a link or a number stands for its kind, a hashtag for its
 * word, and a word stretched for emphasis ("sooo", "loooove") for its two-letter form.
 */
function wordOf(t: Token): string {
  if (/^\d+([.,]\d+)?$/.test(t.lower)) return '<num>';
  if (/^(https?:\/\/|www\.)\S/.test(t.lower)) return '<url>';
  if (/^\S+@\S+\.\S+$/.test(t.lower)) return '<email>';
  const word = t.lower.startsWith('#') && t.lower.length > 1 ? t.lower.slice(1) : t.lemma;
  return word.replace(/(\p{L})\1{2,}/gu, '$1$1');
}

/** Features of a text: lemmas, lemma pairs, negated lemmas; each with its count. */
export function features(tokens: Token[]): Map<string, number> {
  const out = new Map<string, number>();
  const add = (f: string) => out.set(f, (out.get(f) ?? 0) + 1);
  let negatedUntil = -1;
  let prev: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.punctuation) {
      if (/[.,;!?:]/.test(t.value)) negatedUntil = -1;
      prev = null;
      continue;
    }
    const word = wordOf(t);
    const negator = isNegator(t);
    if (negator) negatedUntil = i + NEGATION_REACH;
    const w = i <= negatedUntil && !negator ? `not_${word}` : word;
    add(w);
    if (prev) add(`${prev} ${w}`);
    prev = w;
  }
  return out;
}

function lexiconFeatures(s: Sentiment): number[] {
  return [s.score, Math.max(0, s.score), Math.min(0, s.score)];
}

/** A text as the model reads it, worked out once: its features and the lexicon's score. */
interface Doc {
  features: Map<string, number>;
  lexicon: Sentiment;
}

function docOf(tokens: Token[]): Doc {
  return { features: features(tokens), lexicon: sentimentOf(tokens) };
}

interface Row {
  columns: number[];
  values: number[];
  lexicon: Sentiment;
}

function vectorize(model: Pick<SentimentModel, 'vocabulary' | 'idf'>, doc: Doc): Row {
  const columns: number[] = [];
  const values: number[] = [];
  for (const [f, n] of doc.features) {
    const c = model.vocabulary[f];
    if (c === undefined) continue;
    columns.push(c);
    values.push((1 + Math.log(n)) * model.idf[c]);
  }
  const norm = Math.sqrt(values.reduce((a, v) => a + v * v, 0)) || 1;
  for (let i = 0; i < values.length; i++) values[i] /= norm;
  return { columns, values, lexicon: doc.lexicon };
}

function scores(weights: number[][], row: Row, width: number): number[] {
  const lex = lexiconFeatures(row.lexicon);
  const z = weights.map((w) => {
    let s = w[width + LEXICON_FEATURES];
    for (let i = 0; i < row.columns.length; i++) s += w[row.columns[i]] * row.values[i];
    for (let k = 0; k < LEXICON_FEATURES; k++) s += w[width + k] * lex[k];
    return s;
  });
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** Trains on `examples` (all of them; see trainAndEvaluate() for held-out figures). */
export function train(examples: Example[], seed = 1, now = Date.now()): SentimentModel {
  return fit(examples.map((e) => ({ label: e.label, doc: docOf(tokenize(e.text)) })), seed, now);
}

type Read = { label: SentimentLabel; doc: Doc };

function fit(examples: Read[], seed: number, now: number, rate = RATE): SentimentModel {
  const docs = examples.map((e) => e.doc);
  const df = new Map<string, number>();
  for (const d of docs) for (const f of d.features.keys()) df.set(f, (df.get(f) ?? 0) + 1);
  const vocabulary: Record<string, number> = {};
  const idf: number[] = [];
  for (const [f, n] of [...df].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (n < MIN_COUNT) continue;
    vocabulary[f] = idf.length;
    idf.push(Math.log((1 + docs.length) / (1 + n)) + 1);
  }
  const width = idf.length;
  const model = { vocabulary, idf };
  const rows = docs.map((d) => vectorize(model, d));
  const y = examples.map((e) => LABELS.indexOf(e.label));
  const weights = LABELS.map(() => new Array<number>(width + LEXICON_FEATURES + 1).fill(0));
  // Adagrad: each weight's step shrinks with the gradients it has seen, so rare words still learn.
  const g2 = LABELS.map(() => new Array<number>(width + LEXICON_FEATURES + 1).fill(1e-8));
  const rng = new Random(seed);
  const order = rows.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const i of order) {
      const row = rows[i];
      const p = scores(weights, row, width);
      const lex = lexiconFeatures(row.lexicon);
      for (let k = 0; k < LABELS.length; k++) {
        const err = p[k] - (y[i] === k ? 1 : 0);
        const w = weights[k];
        const g = g2[k];
        const step = (c: number, x: number) => {
          const grad = err * x + L2 * w[c];
          g[c] += grad * grad;
          w[c] -= (rate * grad) / Math.sqrt(g[c]);
        };
        for (let m = 0; m < row.columns.length; m++) step(row.columns[m], row.values[m]);
        for (let m = 0; m < LEXICON_FEATURES; m++) step(width + m, lex[m]);
        step(width + LEXICON_FEATURES, 1);
      }
    }
  }
  return { version: 1, trainedAt: now, examples: examples.length, vocabulary, idf, weights, evaluation: null };
}

/** The model's sentiment of a text; without a model, the lexicon's. */
export function predict(model: SentimentModel | null, tokens: Token[]): Sentiment & { probabilities?: Record<SentimentLabel, number> } {
  return model ? predictDoc(model, docOf(tokens)) : sentimentOf(tokens);
}

function predictDoc(model: SentimentModel, doc: Doc): Sentiment & { probabilities: Record<SentimentLabel, number> } {
  const p = scores(model.weights, vectorize(model, doc), model.idf.length);
  const best = p.indexOf(Math.max(...p));
  return { label: LABELS[best], score: p[2] - p[0], probabilities: { negative: p[0], neutral: p[1], positive: p[2] } };
}

/**
 * Trains on most of the examples and measures on the rest (a fifth, stratified by label, seeded),
 * next to the lexicon on the same rest; then trains again on everything. What the model page shows.
 */
export function trainAndEvaluate(examples: Example[], seed = 1, now = Date.now()): SentimentModel {
  // Each text is read once, for the trainings and the measurement.
  const read: Read[] = examples.map((e) => ({ label: e.label, doc: docOf(tokenize(e.text)) }));
  const { test, rest: trainSet } = holdOutFifth(read, new Random(seed));
  // The step is chosen without the held-out fifth, so its accuracy stays a fair measure.
  const rate = chooseRate(trainSet, seed);
  const held = fit(trainSet, seed, now, rate);
  let right = 0;
  let lexRight = 0;
  const modelPairs: Array<[SentimentLabel, SentimentLabel]> = [];
  const lexiconPairs: Array<[SentimentLabel, SentimentLabel]> = [];
  const hits = { negative: 0, neutral: 0, positive: 0 };
  const totals = { negative: 0, neutral: 0, positive: 0 };
  const dvp = { model: 0, lexicon: 0, examples: 0 };
  for (const e of test) {
    const m = predictDoc(held, e.doc);
    const lex = e.doc.lexicon;
    modelPairs.push([e.label, m.label]);
    lexiconPairs.push([e.label, lex.label]);
    totals[e.label]++;
    if (m.label === e.label) {
      right++;
      hits[e.label]++;
    }
    if (lex.label === e.label) lexRight++;
    if (e.label !== 'neutral') {
      dvp.examples++;
      // Two ways only: which side the model leans to, and the sign of the lexicon's score.
      if ((m.score < 0 ? 'negative' : 'positive') === e.label) dvp.model++;
      if ((lex.score < 0 ? 'negative' : 'positive') === e.label) dvp.lexicon++;
    }
  }
  const evaluation: Evaluation = {
    heldOut: test.length,
    accuracy: right / Math.max(1, test.length),
    recall: { negative: hits.negative / Math.max(1, totals.negative), neutral: hits.neutral / Math.max(1, totals.neutral), positive: hits.positive / Math.max(1, totals.positive) },
    lexiconAccuracy: lexRight / Math.max(1, test.length),
    macroF1: macroF1(modelPairs),
    lexiconMacroF1: macroF1(lexiconPairs),
    detractorVsPromoter: { model: dvp.model / Math.max(1, dvp.examples), lexicon: dvp.lexicon / Math.max(1, dvp.examples), examples: dvp.examples },
  };
  return { ...fit(read, seed, now, rate), evaluation };
}

/** A fifth of each label's examples, shuffled by `rng`, and the rest. */
function holdOutFifth(read: Read[], rng: Random): { test: Read[]; rest: Read[] } {
  const test: Read[] = [];
  const rest: Read[] = [];
  for (const label of LABELS) {
    const of = read.filter((e) => e.label === label);
    for (let i = of.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [of[i], of[j]] = [of[j], of[i]];
    }
    const cut = Math.round(of.length / 5);
    test.push(...of.slice(0, cut));
    rest.push(...of.slice(cut));
  }
  return { test, rest };
}

/** The step (RATES) whose model is most often right on a fifth of `examples` it did not learn from. */
function chooseRate(examples: Read[], seed: number): number {
  if (examples.length < MIN_TO_CHOOSE) return RATE;
  const { test, rest } = holdOutFifth(examples, new Random(seed + 1));
  let best = RATE;
  let bestRight = -1;
  for (const rate of RATES) {
    const model = fit(rest, seed, 0, rate);
    let right = 0;
    for (const e of test) if (predictDoc(model, e.doc).label === e.label) right++;
    if (right > bestRight) {
      best = rate;
      bestRight = right;
    }
  }
  return best;
}


/** Macro-averaged F1 of (truth, prediction) pairs over the three labels; a label never predicted nor true is left out. */
export function macroF1(pairs: Array<[SentimentLabel, SentimentLabel]>): number {
  const f1s: number[] = [];
  for (const label of LABELS) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const [truth, guess] of pairs) {
      if (guess === label && truth === label) tp++;
      else if (guess === label) fp++;
      else if (truth === label) fn++;
    }
    if (tp + fp + fn === 0) continue;
    f1s.push((2 * tp) / (2 * tp + fp + fn));
  }
  return f1s.length ? f1s.reduce((a, b) => a + b, 0) / f1s.length : 0;
}
