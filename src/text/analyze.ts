import { sentimentOf, type Sentiment } from './sentiment.ts';
import { ThemeMatcher, type ThemeHit } from './themes.ts';
import { DEFAULT_TAXONOMY } from './taxonomy.ts';
import { tokenize } from './tokens.ts';

export interface TextAnalysis {
  sentiment: Sentiment;
  themes: ThemeHit[];
}

let defaultMatcher: ThemeMatcher | null = null;

/** A comment's sentiment (lexicon rules) and the themes it mentions, each mention with offsets and sentiment. */
export function analyzeText(text: string, matcher: ThemeMatcher = (defaultMatcher ??= new ThemeMatcher(DEFAULT_TAXONOMY))): TextAnalysis {
  const tokens = tokenize(text);
  return { sentiment: sentimentOf(tokens), themes: matcher.match(text, tokens) };
}
