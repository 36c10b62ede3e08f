import { valences } from './lexicon.ts';
import type { ThemeMatcher } from './themes.ts';
import { phraseForms, tokenize, type Token } from './tokens.ts';
import type { Taxonomy } from './taxonomy.ts';

/**
 * Themes the taxonomy does not have yet, found in the comments themselves: the noun phrases many
 * comments use ("oat milk", "loyalty card"), less the ones every comment uses and the ones that
 * are (or hold) a mention of a theme it has, grouped when the same comments use them together
 * (co-occurrence), largest first.
 * Proposed to the workspace to adopt, rename or fold into a theme it has.
 */
export interface DiscoveredTheme {
  /** The phrase most comments of the group use, as they write it. */
  name: string;
  /** Its phrases, most used first, as written. */
  terms: string[];
  /** The comments (by the caller's ids) that use any of them. */
  ids: string[];
}

export interface DiscoverOptions {
  /** A phrase needs at least this many comments (default: 3, or 1% of the comments if more). */
  minComments?: number;
  /** At most this many proposals (default 10). */
  max?: number;
}

// Words that are nouns but name no theme: every comment could use them.
const GENERIC = new Set([
  'thing', 'things', 'time', 'times', 'lot', 'lots', 'way', 'day', 'days', 'week', 'weeks', 'month', 'months', 'year', 'years', 'everything',
  'nothing', 'anything', 'something', 'experience', 'one', 'bit', 'today', 'people', 'person', 'company', 'business', 'problem', 'problems',
  'issue', 'issues', 'reason', 'fact', 'point', 'kind', 'part', 'place', 'number', 'case', 'job', 'work', 'use', 'need', 'thank', 'thanks',
  'question', 'answer', 'score', 'rating', 'survey', 'recommend', 'friend', 'friends', 'family', 'nps', 'rest', 'end', 'start', 'yes', 'no',
  'service', 'order', 'call', 'date', 'hour', 'minute', 'second', 'lady', 'guy', 'man', 'woman', 'someone', 'anyone', 'everyone', 'nobody',
  // Ratings, sayings and the people a customer told ("five stars", "a no-brainer", "told my sister", "room for").
  'star', 'stars', 'review', 'reviews', 'brainer', 'room', 'item', 'items', 'stuff', 'overall', 'sister', 'brother', 'wife', 'husband', 'partner',
  'mother', 'father', 'mum', 'mom', 'dad', 'son', 'daughter', 'kid', 'kids', 'child', 'children', 'colleague', 'colleagues', 'neighbour', 'neighbor',
]);
const WORD = /^\p{L}[\p{L}\p{N}-]*$/u;
/** A phrase in more than this share of the comments says nothing about any of them. */
const TOO_COMMON = 0.3;
/** Two phrases belong together when this share of the rarer one's comments use the other too. */
const TOGETHER = 0.5;
const MAX_WORDS = 3;
const lead = (key: string) => [0, 2, 0, 1][Math.min(3, key.split(' ').length)];

/**
 * Noun phrases of a comment: runs of adjectives and nouns ending in a noun, by lemma, with how they
 * were written. A run touching one of `covered` (the comment's theme mentions) is about a theme the
 * workspace has ("value for money", "delivery driver"), and is left out whole.
 */
export function nounPhrases(tokens: Token[], covered: Array<[number, number]> = []): Array<{ key: string; surface: string }> {
  const lex = valences();
  const isNoun = (i: number) => tokens[i].pos === 'NOUN' || tokens[i].pos === 'PROPN';
  const out: Array<{ key: string; surface: string }> = [];
  let run: number[] = [];
  const flush = () => {
    const touches = run.some((i) => covered.some(([a, b]) => tokens[i].start < b && a < tokens[i].end));
    // A feeling is not a topic: "great customer service" is about customer service (but a
    // "loyalty card" is a card, however warm the word loyalty).
    while (run.length && tokens[run[0]].pos !== 'NOUN' && (lex.get(tokens[run[0]].lemma) ?? 0) !== 0) run.shift();
    while (run.length && !isNoun(run[run.length - 1])) run.pop();
    // Nor is praise on its own, however the tagger reads it ("Love this shop", "room for improvement");
    // a complaint names its subject with a word of feeling ("the delay") and stays.
    if (run.length === 1 && (lex.get(tokens[run[0]].lemma) ?? 0) > 0) run = [];
    if (!touches && run.length && run.length <= MAX_WORDS) {
      const words = run.map((i) => tokens[i].lemma);
      if (words.every((w) => WORD.test(w) && w.length > 1)) {
        // The phrase, the shorter phrases inside it that end in a noun ("loyalty card" in "loyalty
        // card stamps") and its head noun ("phone line" is also about the line).
        for (let a = 0; a < run.length; a++) {
          for (let b = a + 1; b <= run.length; b++) {
            const end = run[b - 1];
            if (!isNoun(end)) continue;
            if (b - a === 1 && (a !== run.length - 1 && run.length > 1 ? true : GENERIC.has(tokens[end].lemma))) continue;
            out.push({ key: words.slice(a, b).join(' '), surface: run.slice(a, b).map((i) => tokens[i].value).join(' ') });
          }
        }
      }
    }
    run = [];
  };
  for (let i = 0; i < tokens.length; i++) {
    const pos = tokens[i].pos;
    if (pos === 'NOUN' || pos === 'PROPN' || pos === 'ADJ') run.push(i);
    else flush();
  }
  flush();
  return out;
}

/** The taxonomy's terms as noun-phrase keys (lemmas), so a known word is not proposed again. */
function knownKeys(taxonomy: Taxonomy): Set<string> {
  const out = new Set<string>();
  for (const t of taxonomy.themes) {
    for (const term of t.terms) {
      const forms = phraseForms(term);
      out.add(forms.map((f) => f.lemma).join(' '));
      out.add(forms.map((f) => f.lower).join(' '));
    }
  }
  return out;
}

export function discoverThemes(comments: Array<{ id: string; text: string }>, matcher: ThemeMatcher, options: DiscoverOptions = {}): DiscoveredTheme[] {
  const n = comments.length;
  if (!n) return [];
  const known = knownKeys(matcher.taxonomy);
  const minComments = options.minComments ?? Math.max(3, Math.ceil(n * 0.01));
  const docs = new Map<string, Set<number>>();
  const surfaces = new Map<string, Map<string, number>>();
  comments.forEach((c, d) => {
    const tokens = tokenize(c.text);
    const mentions = matcher.match(c.text, tokens).flatMap((t) => t.mentions.map((m): [number, number] => [m.start, m.end]));
    for (const p of nounPhrases(tokens, mentions)) {
      if (known.has(p.key) || p.key.split(' ').some((w) => known.has(w))) continue;
      let set = docs.get(p.key);
      if (!set) docs.set(p.key, (set = new Set()));
      set.add(d);
      const forms = surfaces.get(p.key) ?? new Map<string, number>();
      const written = p.surface.toLowerCase();
      forms.set(written, (forms.get(written) ?? 0) + 1);
      surfaces.set(p.key, forms);
    }
  });
  // (In a few dozen comments one subject can fill a third of them and still be one.)
  const tooCommon = n >= 100 ? n * TOO_COMMON : Infinity;
  const candidates = [...docs].filter(([, set]) => set.size >= minComments && set.size <= tooCommon)
    // On a tie the two-word compound leads ("oat milk" names the group, "milk" joins it).
    .sort((a, b) => b[1].size - a[1].size || lead(a[0]) - lead(b[0]) || (a[0] < b[0] ? -1 : 1));
  // Grouped greedily, most used first: a phrase joins the group whose head's comments it shares most.
  const groups: Array<{ head: string; keys: string[]; docs: Set<number> }> = [];
  for (const [key, set] of candidates) {
    let best: (typeof groups)[number] | null = null;
    let bestShare = 0;
    for (const g of groups) {
      // A phrase holding the group's word, or held in it, belongs there ("phone line", "phone").
      if (g.keys.some((k) => ` ${key} `.includes(` ${k} `) || ` ${k} `.includes(` ${key} `))) {
        [best, bestShare] = [g, 1];
        break;
      }
      const head = docs.get(g.head)!;
      let both = 0;
      for (const d of set) if (head.has(d)) both++;
      const share = both / Math.min(set.size, head.size);
      if (share > bestShare) [best, bestShare] = [g, share];
    }
    if (best && bestShare >= TOGETHER) {
      best.keys.push(key);
      for (const d of set) best.docs.add(d);
    } else groups.push({ head: key, keys: [key], docs: new Set(set) });
  }
  const written = (key: string) => [...surfaces.get(key)!].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0][0];
  return groups
    .sort((a, b) => b.docs.size - a.docs.size || (a.head < b.head ? -1 : 1))
    .slice(0, options.max ?? 10)
    .map((g) => ({ name: written(g.head), terms: g.keys.slice(0, 8).map(written), ids: [...g.docs].sort((a, b) => a - b).map((d) => comments[d].id) }));
}
