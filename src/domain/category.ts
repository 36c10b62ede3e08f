export type Category = 'promoter' | 'passive' | 'detractor';

export const CATEGORIES: readonly Category[] = ['promoter', 'passive', 'detractor'];

/** Promoter 9–10, passive 7–8, detractor 0–6 (STATS.md). */
export function categoryOf(score: number): Category {
  return score >= 9 ? 'promoter' : score >= 7 ? 'passive' : 'detractor';
}

export function isValidScore(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 10;
}
