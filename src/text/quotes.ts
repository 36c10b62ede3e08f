/**
 * The most representative comments of a theme: those closest to the centre of all its comments
 * (the mean of their TF-IDF word vectors, by cosine), so a quote says what many say, not what one
 * person said loudest, and the same data always gives the same quotes. Words are read with a
 * plain split (no tagger): this runs on hundreds of comments per request.
 */

const STOPWORDS = new Set(`a about above after again against all am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how
i if in into is it its itself just me more most my myself no nor not now of off on once only or other our ours ourselves out over own same
she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was
we were what when where which while who whom why will with would you your yours yourself yourselves im ive dont didnt cant wont isnt wasnt
also get got one really much even still`.split(/\s+/));

/** Content words of a text, lower-cased, apostrophes dropped ("don't" → "dont"). */
export function contentWords(text: string): string[] {
  const out: string[] = [];
  for (const w of text.toLowerCase().replace(/['’]/g, '').split(/[^\p{L}\p{N}]+/u)) {
    if (w.length > 1 && !STOPWORDS.has(w)) out.push(w);
  }
  return out;
}

export interface QuoteCandidate {
  id: string;
  text: string;
}

/** Fewer content words than this say too little to stand for others (unless nothing longer exists). */
const MIN_WORDS = 3;

/** Up to `count` candidates' ids, most representative first. */
export function representativeQuotes(candidates: QuoteCandidate[], count: number): string[] {
  if (!candidates.length || count <= 0) return [];
  const docs = candidates.map((c) => {
    const tf = new Map<string, number>();
    for (const w of contentWords(c.text)) tf.set(w, (tf.get(w) ?? 0) + 1);
    return { id: c.id, length: c.text.length, tf, words: [...tf.values()].reduce((a, b) => a + b, 0) };
  });
  const df = new Map<string, number>();
  for (const d of docs) for (const w of d.tf.keys()) df.set(w, (df.get(w) ?? 0) + 1);
  const n = docs.length;
  const vectors = docs.map((d) => {
    const v = new Map<string, number>();
    let norm = 0;
    for (const [w, f] of d.tf) {
      const x = (1 + Math.log(f)) * Math.log(1 + n / df.get(w)!);
      v.set(w, x);
      norm += x * x;
    }
    norm = Math.sqrt(norm) || 1;
    for (const [w, x] of v) v.set(w, x / norm);
    return v;
  });
  const centre = new Map<string, number>();
  for (const v of vectors) for (const [w, x] of v) centre.set(w, (centre.get(w) ?? 0) + x / n);
  const scored = docs.map((d, i) => {
    let dot = 0;
    for (const [w, x] of vectors[i]) dot += x * (centre.get(w) ?? 0);
    return { id: d.id, score: dot, enough: d.words >= MIN_WORDS, length: d.length };
  });
  scored.sort((a, b) => Number(b.enough) - Number(a.enough) || b.score - a.score || a.length - b.length || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return scored.slice(0, count).map((s) => s.id);
}
