import { clauseAround, sentimentOf, type Sentiment } from './sentiment.ts';
import type { Taxonomy } from './taxonomy.ts';
import { phraseForms, type Token } from './tokens.ts';

type Forms = ReturnType<typeof phraseForms>;

export interface Mention {
  /** [start, end) in the text, in UTF-16 code units. */
  start: number;
  end: number;
  text: string;
  sentiment: Sentiment;
}

export interface ThemeHit {
  id: string;
  name: string;
  mentions: Mention[];
}

interface CompiledTheme {
  id: string;
  name: string;
  terms: Phrases;
  exclusions: Phrases;
}

/**
 * Phrases, longest first so "customer service" wins over "service", indexed by the form and lemma
 * of their first word: a token is tried against the few phrases it can start, not all of them.
 */
interface Phrases {
  list: Forms[];
  byLower: Map<string, number[]>;
  byLemma: Map<string, number[]>;
}

function compilePhrases(phrases: string[]): Phrases {
  const list = phrases.map(phraseForms).filter((f) => f.length).sort((a, b) => b.length - a.length);
  const byLower = new Map<string, number[]>();
  const byLemma = new Map<string, number[]>();
  list.forEach((p, i) => {
    (byLower.get(p[0].lower) ?? byLower.set(p[0].lower, []).get(p[0].lower)!).push(i);
    (byLemma.get(p[0].lemma) ?? byLemma.set(p[0].lemma, []).get(p[0].lemma)!).push(i);
  });
  return { list, byLower, byLemma };
}

const NONE: number[] = [];

/** The phrases whose first word `t` can be (as sameWord decides), in list order. */
function startingWith(t: Token, phrases: Phrases): number[] {
  const a = phrases.byLower.get(t.lower) ?? NONE;
  const b = phrases.byLemma.get(t.lemma) ?? NONE;
  const c = t.lower.length > 3 && t.lower.endsWith('s') ? phrases.byLower.get(t.lower.slice(0, -1)) ?? NONE : NONE;
  if (!b.length && !c.length) return a;
  if (!a.length && !c.length) return b;
  return [...new Set([...a, ...b, ...c])].sort((x, y) => x - y);
}

/** A taxonomy turned into word forms once (tokenizing its phrases), for matching many texts. */
export class ThemeMatcher {
  private readonly themes: CompiledTheme[];

  constructor(readonly taxonomy: Taxonomy) {
    this.themes = taxonomy.themes.map((t) => ({ id: t.id, name: t.name, terms: compilePhrases(t.terms), exclusions: compilePhrases(t.exclusions ?? []) }));
  }

  /**
   * Themes the tokens of `text` mention, in taxonomy order, each mention with its clause's
   * sentiment: by `sentimentOfSpan` (the workspace's model) when given, else the lexicon rules.
   */
  match(text: string, tokens: Token[], sentimentOfSpan: (tokens: Token[], from: number, to: number) => Sentiment = sentimentOf): ThemeHit[] {
    const hits: ThemeHit[] = [];
    for (const theme of this.themes) {
      const excluded = spans(tokens, theme.exclusions);
      const mentions: Mention[] = [];
      for (const [from, to] of spans(tokens, theme.terms)) {
        if (excluded.some(([a, b]) => a < to && from < b)) continue;
        const [cf, ct] = clauseAround(tokens, from);
        const start = tokens[from].start;
        const end = tokens[to - 1].end;
        mentions.push({ start, end, text: text.slice(start, end), sentiment: sentimentOfSpan(tokens, cf, Math.max(ct, to)) });
      }
      if (mentions.length) hits.push({ id: theme.id, name: theme.name, mentions });
    }
    return hits;
  }
}

// By form or lemma, not by stem: stems join words of other senses ("helps" and "helpful" share one).
// A plural the tagger left alone (a capitalised first word, read as a name) is taken off by hand.
function sameWord(t: Token, f: Forms[number]): boolean {
  return t.lower === f.lower || t.lemma === f.lemma || (t.lower.length > 3 && t.lower.endsWith('s') && t.lower.slice(0, -1) === f.lower);
}

/** Where any of the phrases occurs, as token ranges [from, to), without overlaps (longest first). */
function spans(tokens: Token[], phrases: Phrases): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (!phrases.list.length) return out;
  for (let i = 0; i < tokens.length; ) {
    let matched = 0;
    if (!tokens[i].punctuation) {
      for (const n of startingWith(tokens[i], phrases)) {
        const p = phrases.list[n];
        // A hyphen inside the text joins the words it sits between: "deal-breaker" is "deal breaker".
        let k = 0;
        let j = i;
        while (k < p.length && j < tokens.length) {
          if (k > 0 && tokens[j].value === '-' && j + 1 < tokens.length) j++;
          if (!sameWord(tokens[j], p[k])) break;
          k++;
          j++;
        }
        if (k === p.length) {
          matched = j - i;
          break;
        }
      }
    }
    if (matched) {
      out.push([i, i + matched]);
      i += matched;
    } else i++;
  }
  return out;
}
