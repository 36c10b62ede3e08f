import winkNLP from 'wink-nlp';
import model from 'wink-eng-lite-web-model';

/** A word or mark of a comment, where it lies in the text, and the forms matching works on. */
export interface Token {
  /** As written. */
  value: string;
  /** Lower case, as written. */
  lower: string;
  lemma: string;
  /** [start, end) in the text, in UTF-16 code units (what String.slice takes). */
  start: number;
  end: number;
  sentence: number;
  punctuation: boolean;
  /** Part of speech (Universal Dependencies: NOUN, VERB, ADJ, PROPN, …), as wink's model tags it. */
  pos: string;
}

// The model ships inside the npm package (about 4 MB, loaded once): nothing is fetched at run time.
let nlp: ReturnType<typeof winkNLP> | null = null;
export function engine() {
  nlp ??= winkNLP(model);
  return nlp;
}

/**
 * The tokens of a text, with their offsets. wink keeps every character of the input (a token's
 * preceding spaces plus its value, in order, spell the text again), so offsets are counted off it;
 * where that does not hold (a character wink normalised), the token is looked for in the text.
 */
export function tokenize(text: string): Token[] {
  const w = engine();
  const its = w.its;
  const doc = w.readDoc(text);
  const tokens = doc.tokens();
  const values = tokens.out(its.value) as string[];
  const spaces = tokens.out(its.precedingSpaces) as string[];
  // Its type in wink's declarations does not fit out(); the values are strings.
  const lemmas = tokens.out(its.lemma as never) as string[];
  const types = tokens.out(its.type) as string[];
  const pos = tokens.out(its.pos) as string[];
  const sentenceOf = new Array<number>(values.length).fill(0);
  let s = 0;
  doc.sentences().each((sentence: any) => {
    sentence.tokens().each((t: any) => {
      sentenceOf[t.index()] = s;
    });
    s++;
  });
  const out: Token[] = [];
  const joined = new Set<Token>();
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    let start = at + spaces[i].length;
    if (text.slice(start, start + value.length) !== value) {
      const found = text.indexOf(value, at);
      start = found === -1 ? Math.min(text.length, start) : found;
    }
    const end = Math.min(text.length, start + value.length);
    at = end;
    const prev = out[out.length - 1];
    // Every piece starts at U+200D or above, so words and marks leave at the first test.
    if (value.charCodeAt(0) >= 0x200d && prev && prev.end === start && partOfEmoji(text.slice(prev.start, Math.min(prev.end, prev.start + 8)), values[i - 1], value)) {
      // Its forms are spelt once the sign is whole (below): a hostile run of pieces stays linear.
      prev.end = end;
      joined.add(prev);
      continue;
    }
    // Compatibility forms (full-width letters from East Asian keyboards, ligatures) read as the
    // letters they stand for; offsets stay those of the text as written.
    const folded = value.normalize('NFKC');
    const lemma = folded === value ? lemmas[i] : folded;
    out.push({ value, lower: folded.toLowerCase(), lemma: lemma.toLowerCase(), start, end, sentence: sentenceOf[i], punctuation: types[i] === 'punctuation', pos: pos[i] });
  }
  for (const t of joined) {
    t.value = text.slice(t.start, t.end);
    t.lower = t.value;
    t.lemma = emojiBase(t.value);
  }
  return out;
}

// wink splits an emoji into pieces: its presentation selector ("❤️"), skin tone ("👍🏽"), the people
// of a joined sequence ("👨‍👩‍👧"), the two letters of a flag ("🇬🇧") and a keycap's frame ("1️⃣").
// Each is one sign to a reader.
const EMOJI_PIECE = /^[\u{FE0E}\u{FE0F}\u{200D}\u{1F3FB}-\u{1F3FF}\u{E0020}-\u{E007F}]+$/u;
const FLAG_LETTER = /^[\u{1F1E6}-\u{1F1FF}]$/u;

/** Whether `value` continues the sign before it: `head` is that sign's start (a few code units), `last` its last piece. */
function partOfEmoji(head: string, last: string, value: string): boolean {
  if (/^\u{FE0F}?\u{20E3}$/u.test(value)) return /^[0-9#*]\u{FE0F}?$/u.test(head);
  if (EMOJI_PIECE.test(value)) return /\p{Extended_Pictographic}|[\u{1F1E6}-\u{1F1FF}]/u.test(head);
  if (last.endsWith('\u200D')) return /\p{Extended_Pictographic}/u.test(value);
  return FLAG_LETTER.test(value) && FLAG_LETTER.test(head);
}

/** An emoji without its presentation selector and skin tone: "👍🏽" counts as "👍". */
function emojiBase(sign: string): string {
  return sign.replace(/[\u{FE0E}\u{FE0F}\u{1F3FB}-\u{1F3FF}]/gu, '');
}

/** The forms of one phrase's words, as tokenize() gives them (for matching theme terms). */
export function phraseForms(phrase: string): Array<{ lower: string; lemma: string }> {
  return tokenize(phrase).filter((t) => !t.punctuation).map(({ lower, lemma }) => ({ lower, lemma }));
}
