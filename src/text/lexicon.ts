import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { engine } from './tokens.ts';

/**
 * Word valences (−4 … +4): VADER's lexicon (the vader-sentiment package's vader_lexicon.txt,
 * Apache-2.0, 7,500 entries rated by people), with words customers use about service that it lacks
 * or rates for other uses ("slow", "late", "overpriced"). Comments' own words are learnt per
 * workspace on top of this (sentiment model).
 */
const SERVICE_WORDS: Record<string, number> = {
  slow: -1.6, slowly: -1.4, slower: -1.4, late: -1.5, later: 0, delay: -1.5, delayed: -1.6, delays: -1.5,
  waiting: -0.9, waited: -1.0, wait: -0.6, overdue: -1.5, expensive: -1.5, overpriced: -2.2, pricey: -1.2,
  overcharged: -2.2, overcharge: -2.2, 'rip-off': -2.6, ripoff: -2.6, fast: 1.5, faster: 1.4, quick: 1.5,
  quickly: 1.3, prompt: 1.5, promptly: 1.5, efficient: 1.8, efficiently: 1.8, outage: -1.8, outages: -1.8,
  disconnected: -1.5, unreliable: -2.0, reliable: 1.6, seamless: 2.0, seamlessly: 2.0, hassle: -1.5,
  painless: 1.6, straightforward: 1.5, smooth: 1.5, smoothly: 1.5, shambles: -2.6, shambolic: -2.6,
  incompetent: -2.5, incompetence: -2.5, faulty: -1.8, broken: -1.8, unhelpful: -2.0, unprofessional: -2.2,
  professional: 1.5, knowledgeable: 1.8, courteous: 1.9, polite: 1.6, rude: -2.2, cancelled: -1.2,
  chased: -1.0, chasing: -1.0, appalling: -3.0, atrocious: -3.0, dreadful: -2.8, shocking: -2.2,
  excellent: 3.0, brilliant: 2.8, superb: 3.0, outstanding: 3.0, fantastic: 3.0, spot: 0,
  // Departments and account words, named far more often than meant as feelings ("support never replied").
  support: 0, care: 0, credit: 0,
  // Software and streams that stall (the reliability theme's words), which VADER leaves neutral.
  freeze: -1.3, freezes: -1.5, froze: -1.5, frozen: -1.0, buffering: -1.5, lags: -1.2, laggy: -1.8,
  glitch: -1.5, glitches: -1.5, glitchy: -1.8, buggy: -1.8,
  decent: 0.9, reasonable: 0.8, reasonably: 0.6, mediocre: -1.5,
  cheap: 0.8, cheaper: 0.8, uncompetitive: -1.8, competitive: 1.2, brill: 2.5, value: 0.6, affordable: 1.3, recommend: 1.5, recommended: 1.5,
};

let lexicon: Map<string, number> | null = null;

export function valences(): Map<string, number> {
  if (lexicon) return lexicon;
  const file = createRequire(import.meta.url).resolve('vader-sentiment/vader_lexicon.txt');
  const map = new Map<string, number>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const v = Number(line.slice(tab + 1, line.indexOf('\t', tab + 1)));
    if (Number.isFinite(v)) map.set(line.slice(0, tab), v);
  }
  for (const [w, v] of Object.entries(SERVICE_WORDS)) map.set(w, v);
  lexicon = map;
  return map;
}

// wink's model scores an emoji from −1 to 1; the lexicon's scale is −4 … +4 ("❤" 0.8 is "love" 3.2).
const EMOJI_SCALE = 4;
// wink's list (from tweets of 2013–2015) lacks newer emoji and rates some by their other use (😭 also
// laughs): those customers use about service, rated as SERVICE_WORDS are. Things are not feelings (✈).
const EMOJI: Record<string, number> = {
  '😡': -2.5, '😠': -2.2, '🤬': -3.0, '😤': -1.8, '👎': -2.0, '💔': -2.0, '😞': -1.8, '😫': -1.8, '😩': -1.8,
  '😖': -1.8, '😭': -2.0, '😢': -2.0, '🙁': -1.5, '☹': -1.8, '🙄': -1.5, '🤦': -1.5, '🤮': -2.5, '🤢': -2.0,
  '❌': -1.0, '🆘': -1.5, '🥰': 3.0, '🤩': 2.8, '🥳': 2.5, '🙂': 1.2, '✅': 1.2, '✈': 0,
};
// Distinct emoji are a few thousand, but joined sequences can be made up without end.
const EMOJI_CACHE_MAX = 5000;
const emojiValences = new Map<string, number>();

/**
 * An emoji's valence ("😡", "👍", "❤"): ours above, else from the emoji sentiment list of wink's model
 * (it ships in the model package, like the rest). VADER's lexicon has emoticons (":)") but no emoji,
 * which short messages are full of. 0 for anything else.
 */
export function emojiValence(sign: string): number {
  // Below U+00A9 (©) nothing is an emoji: most words leave here.
  if (sign.charCodeAt(0) < 0xa9) return 0;
  let v = EMOJI[sign] ?? emojiValences.get(sign);
  if (v !== undefined) return v;
  if (!/\p{Extended_Pictographic}/u.test(sign)) return 0;
  const w = engine();
  v = EMOJI_SCALE * Number(w.readDoc(sign).out(w.its.sentiment) ?? 0);
  if (emojiValences.size < EMOJI_CACHE_MAX) emojiValences.set(sign, v);
  return v;
}

/** Words that strengthen or soften the next sentiment word, by how much (VADER's constants). */
export const BOOSTERS: ReadonlyMap<string, number> = new Map([
  ...['absolutely', 'amazingly', 'completely', 'considerably', 'deeply', 'enormously', 'entirely', 'especially', 'exceptionally',
    'extremely', 'fully', 'greatly', 'highly', 'hugely', 'incredibly', 'intensely', 'majorly', 'most', 'particularly', 'purely',
    'quite', 'really', 'remarkably', 'so', 'substantially', 'thoroughly', 'totally', 'tremendously', 'truly', 'utterly', 'very',
    'super', 'unbelievably', 'seriously', 'such', 'too', 'way'].map((w): [string, number] => [w, 0.293]),
  ...['almost', 'barely', 'hardly', 'marginally', 'occasionally', 'partly', 'scarcely', 'slightly', 'somewhat', 'bit', 'little',
    'fairly', 'reasonably'].map((w): [string, number] => [w, -0.293]),
]);

/** Words that turn the sentiment of what follows (within three words, in the same clause). */
export const NEGATORS: ReadonlySet<string> = new Set([
  'not', "n't", 'no', 'never', 'none', 'nobody', 'nothing', 'neither', 'nor', 'nowhere', 'without', 'cannot', 'cant', 'dont',
  'didnt', 'doesnt', 'wasnt', 'isnt', 'wont', 'wouldnt', 'couldnt', 'shouldnt', 'havent', 'hasnt', 'hadnt', 'arent', 'werent', 'lack', 'lacking',
]);

/** After these, what follows counts more than what came before ("good but slow delivery"). */
export const CONTRAST: ReadonlySet<string> = new Set(['but', 'however', 'although', 'though', 'yet', 'except', 'unfortunately']);

/** Phrases whose sense their words do not give, as lower-case word lists with a valence. */
export const PHRASES: ReadonlyArray<{ words: string[]; valence: number }> = [
  { words: ['never', 'again'], valence: -2.8 },
  { words: ['lack', 'of'], valence: -1.6 },
  { words: ['would', 'not', 'recommend'], valence: -2.5 },
  { words: ['could', 'be', 'better'], valence: -1.5 },
  { words: ['expected', 'better'], valence: -1.8 },
  { words: ['expected', 'much', 'better'], valence: -2.0 },
  { words: ['expected', 'more'], valence: -1.5 },
  { words: ['could', 'have', 'been', 'better'], valence: -1.5 },
  { words: ['still', 'waiting'], valence: -2.0 },
  { words: ['still', 'not'], valence: -1.2 },
  { words: ['no', 'complaints'], valence: 1.8 },
  { words: ['no', 'brainer'], valence: 2.0 },
  { words: ['no', 'problems'], valence: 1.6 },
  { words: ['no', 'issues'], valence: 1.6 },
  { words: ['no', 'hassle'], valence: 1.8 },
  { words: ['kept', 'me', 'informed'], valence: 1.8 },
  { words: ['on', 'time'], valence: 1.2 },
  { words: ['value', 'for', 'money'], valence: 1.5 },
  { words: ['waste', 'of', 'time'], valence: -2.2 },
  { words: ['waste', 'of', 'money'], valence: -2.4 },
  { words: ['let', 'down'], valence: -1.8 },
  { words: ['let', 'me', 'down'], valence: -1.8 },
  { words: ['went', 'above', 'and', 'beyond'], valence: 2.8 },
  // Things that did not happen: no word in them is negative ("the parcel never came").
  { words: ['never', 'came'], valence: -2.0 },
  { words: ['never', 'arrived'], valence: -2.0 },
  { words: ['never', 'received'], valence: -2.0 },
  { words: ['never', 'showed'], valence: -2.0 },
  { words: ['never', 'turned', 'up'], valence: -2.0 },
  { words: ['never', 'heard', 'back'], valence: -2.0 },
  { words: ['never', 'replied'], valence: -2.0 },
  { words: ['never', 'responded'], valence: -2.0 },
  { words: ['never', 'got', 'back'], valence: -2.0 },
  { words: ['never', 'called', 'back'], valence: -2.0 },
  { words: ['never', 'rang', 'back'], valence: -2.0 },
  { words: ['not', 'replied'], valence: -1.8 },
  { words: ['not', 'responded'], valence: -1.8 },
  { words: ['no', 'answer'], valence: -1.6 },
  { words: ['not', 'arrived'], valence: -1.8 },
  { words: ['not', 'arrive'], valence: -1.8 },
  { words: ['not', 'received'], valence: -1.8 },
  { words: ['not', 'turn', 'up'], valence: -1.8 },
  { words: ['no', 'response'], valence: -1.6 },
  { words: ['no', 'reply'], valence: -1.6 },
  { words: ['charged', 'twice'], valence: -2.0 },
  { words: ['double', 'charged'], valence: -2.0 },
];
