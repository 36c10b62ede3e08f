import { BOOSTERS, CONTRAST, NEGATORS, PHRASES, emojiValence, valences } from './lexicon.ts';
import type { Token } from './tokens.ts';

export type SentimentLabel = 'negative' | 'neutral' | 'positive';

export interface Sentiment {
  label: SentimentLabel;
  /** −1 … +1. */
  score: number;
}

// VADER's constants: a negated word keeps 74% of its strength, turned; a score is squashed into
// (−1, 1) by x / √(x² + 15); ±0.05 separates neutral from the rest.
const NEGATED = -0.74;
const SQUASH = 15;
const NEUTRAL_BAND = 0.05;
const NEGATION_REACH = 3;
const BEFORE_CONTRAST = 0.5;
const AFTER_CONTRAST = 1.5;
const EXCLAMATION = 0.292;

function labelOf(score: number): SentimentLabel {
  return score >= NEUTRAL_BAND ? 'positive' : score <= -NEUTRAL_BAND ? 'negative' : 'neutral';
}

function squash(sum: number): number {
  return sum === 0 ? 0 : sum / Math.sqrt(sum * sum + SQUASH);
}

/** A word that turns what follows: "not", "n't" (its lemma is "not"), "never", "without", … */
export function isNegator(t: Token): boolean {
  return NEGATORS.has(t.lower) || t.lemma === 'not';
}

/**
 * Each token's signed contribution (0 for most): lexicon valence, turned by a negator within three
 * words before it in its clause, strengthened or softened by the word before it, phrases counted
 * as one, and words before a contrast ("but") weighed half, after it one and a half.
 */
function contributions(tokens: Token[], from = 0, to = tokens.length): number[] {
  const lex = valences();
  const out = new Array<number>(to - from).fill(0);
  const taken = new Set<number>();
  for (let i = from; i < to; i++) {
    for (const p of PHRASES) {
      // A hyphen between the words is the same phrase ("no-brainer").
      let k = 0;
      let j = i;
      while (k < p.words.length && j < to) {
        if (k > 0 && tokens[j].value === '-' && j + 1 < to) j++;
        if (!(tokens[j].lower === p.words[k] || (p.words[k] === 'not' && tokens[j].lemma === 'not'))) break;
        k++;
        j++;
      }
      if (k < p.words.length) continue;
      out[i - from] = p.valence;
      for (let t = i; t < j; t++) taken.add(t);
    }
  }
  let clauseStart = from;
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (t.punctuation && /[.;!?]/.test(t.value)) clauseStart = i + 1;
    if (taken.has(i) || t.punctuation) continue;
    let v = lex.get(t.lower) ?? lex.get(t.lemma) ?? emojiValence(t.lemma);
    if (v == null || v === 0 || NEGATORS.has(t.lower) || NEGATORS.has(t.lemma)) continue;
    const prev = tokens[i - 1];
    if (prev && i - 1 >= clauseStart) {
      const boost = BOOSTERS.get(prev.lower);
      if (boost) v += Math.sign(v) * boost;
    }
    for (let j = i - 1; j >= Math.max(clauseStart, i - NEGATION_REACH); j--) {
      if (isNegator(tokens[j])) {
        v *= NEGATED;
        break;
      }
    }
    out[i - from] = v;
  }
  // A contrast weighs the two sides of its sentence.
  for (let i = from; i < to; i++) {
    if (!CONTRAST.has(tokens[i].lower)) continue;
    const sentence = tokens[i].sentence;
    for (let j = from; j < to; j++) {
      if (tokens[j].sentence !== sentence) continue;
      if (j < i) out[j - from] *= BEFORE_CONTRAST;
      else if (j > i) out[j - from] *= AFTER_CONTRAST;
    }
  }
  return out;
}

/** The sentiment of tokens [from, to): contributions summed, exclamations adding emphasis, squashed. */
export function sentimentOf(tokens: Token[], from = 0, to = tokens.length): Sentiment {
  let sum = contributions(tokens, from, to).reduce((a, b) => a + b, 0);
  if (sum !== 0) {
    let marks = 0;
    for (let i = from; i < to; i++) if (tokens[i].value.includes('!')) marks++;
    sum += Math.sign(sum) * Math.min(4, marks) * EXCLAMATION;
  }
  const score = squash(sum);
  return { label: labelOf(score), score };
}

/**
 * The clause a token sits in: its sentence, cut at contrasts, semicolons and commas, so that
 * "good but slow delivery" gives delivery the slow part only. Returns [from, to).
 */
export function clauseAround(tokens: Token[], index: number): [number, number] {
  const cut = (t: Token) => CONTRAST.has(t.lower) || (t.punctuation && /[;,:]/.test(t.value));
  let from = index;
  while (from > 0 && tokens[from - 1].sentence === tokens[index].sentence && !cut(tokens[from - 1])) from--;
  let to = index + 1;
  while (to < tokens.length && tokens[to].sentence === tokens[index].sentence && !cut(tokens[to])) to++;
  return [from, to];
}
