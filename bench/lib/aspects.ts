/**
 * The hand-labelled Amazon reviews of ../shared/data/aspects_*.json (not copied into the
 * repository) and the readings of our theme finds on them kept in bench/: one reader of each file
 * for the text benchmark and the two reading tools (bench/aspect-audit.ts, bench/aspect-blind.ts).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './harness.ts';

export const DATA = resolve(ROOT, '..', 'shared', 'data');
export const SETS = ['aspects_headphone100.json', 'aspects_kindle100.json', 'aspects_sandisk100.json'];

export interface Review {
  overall: number;
  /** Sentence number → sentence. */
  reviewTextJson: Record<string, string>;
  /** Aspect → numbers of the sentences labelled with it. */
  aspects: Record<string, number[]>;
}

const loaded = new Map<string, Review[]>();

/** The reviews of one set, read once. */
export function reviewsOf(set: string): Review[] {
  let reviews = loaded.get(set);
  if (!reviews) loaded.set(set, (reviews = JSON.parse(readFileSync(join(DATA, set), 'utf8')) as Review[]));
  return reviews;
}

/** One theme found in one review, as the readings name it. */
export const findKey = (set: string, review: number, theme: string) => `${set}#${review}#${theme}`;

/** bench/aspect-audit.json: the first reading, by hand, of every extra find (one the labels do not name). */
export interface Audit {
  rules: Record<string, string>;
  finds: Array<{ set: string; review: number; sentences: number[]; theme: string; words: string[]; mentioned: boolean }>;
}

export function readAudit(): Audit {
  return JSON.parse(readFileSync(join(ROOT, 'bench', 'aspect-audit.json'), 'utf8')) as Audit;
}

/** bench/aspect-blind.json: the blind second reading, the extra finds shuffled among controls of the other kinds. */
export type BlindKind = 'extra' | 'agreed' | 'missed' | 'decoy';
export interface BlindReading {
  items: Array<{ id: number; set: string; review: number; theme: string; kind: BlindKind }>;
  /** reader → item id → does the review talk about the theme */
  readers: Record<string, Record<string, boolean>>;
}

export function readBlind(): BlindReading {
  return JSON.parse(readFileSync(join(ROOT, 'bench', 'aspect-blind.json'), 'utf8')) as BlindReading;
}
