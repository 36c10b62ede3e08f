import { predict, type SentimentModel } from './model.ts';
import type { Sentiment } from './sentiment.ts';
import { ThemeMatcher, type ThemeHit } from './themes.ts';
import { builtInTaxonomy } from './taxonomies.ts';
import { tokenize, type Token } from './tokens.ts';

export interface TextAnalysis {
  sentiment: Sentiment;
  themes: ThemeHit[];
}


/**
 * A comment's sentiment and the themes it mentions, each mention with offsets and sentiment. Both
 * come from the workspace's model when it has one (a mention's from the model reading its clause:
 * it knows "took two weeks" is a complaint where the lexicon sees no feeling), else from the
 * lexicon rules. A comment of one clause gets the same sentiment as its mention.
 */
export function analyzeText(text: string, options: { matcher?: ThemeMatcher; model?: SentimentModel | null } = {}): TextAnalysis {
  const matcher = options.matcher ?? builtInTaxonomy().matcher;
  const tokens = tokenize(text);
  const model = options.model ?? null;
  const { label, score } = predict(model, tokens);
  const span = model ? (t: Token[], from: number, to: number): Sentiment => {
    const p = predict(model, t.slice(from, to));
    return { label: p.label, score: p.score };
  } : undefined;
  return { sentiment: { label, score }, themes: matcher.match(text, tokens, span) };
}

// A comment of 10,000 characters takes about 20 ms to read; a batch of them must not hold the
// server (its requests, its other consumers) for seconds.
const SLICE_MS = 10;

/** `fn` over `items`, giving the event loop a turn after every ~10 ms of work. */
export async function eachYielding<T, R>(items: readonly T[], fn: (item: T) => R): Promise<R[]> {
  const out: R[] = [];
  let since = performance.now();
  for (const item of items) {
    out.push(fn(item));
    if (performance.now() - since >= SLICE_MS) {
      await new Promise((r) => setImmediate(r));
      since = performance.now();
    }
  }
  return out;
}
