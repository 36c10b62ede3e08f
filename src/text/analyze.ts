import { predict, type SentimentModel } from './model.ts';
import type { Sentiment } from './sentiment.ts';
import { ThemeMatcher, type ThemeHit } from './themes.ts';
import { DEFAULT_TAXONOMY } from './taxonomy.ts';
import { tokenize } from './tokens.ts';

export interface TextAnalysis {
  sentiment: Sentiment;
  themes: ThemeHit[];
}

let defaultMatcher: ThemeMatcher | null = null;

/**
 * A comment's sentiment and the themes it mentions, each mention with offsets and sentiment. The
 * comment's sentiment comes from the workspace's model when it has one, else from the lexicon
 * rules; a mention's, from the lexicon rules over its clause (the model learnt whole comments).
 */
export function analyzeText(text: string, options: { matcher?: ThemeMatcher; model?: SentimentModel | null } = {}): TextAnalysis {
  const matcher = options.matcher ?? (defaultMatcher ??= new ThemeMatcher(DEFAULT_TAXONOMY));
  const tokens = tokenize(text);
  const { label, score } = predict(options.model ?? null, tokens);
  return { sentiment: { label, score }, themes: matcher.match(text, tokens) };
}
