/**
 * Prints the reading by hand in bench/aspect-audit.json with the sentences it judged, taken from
 * ../shared/data (not copied into the repository), so anyone can check it:
 *
 *   npx tsx bench/aspect-audit.ts [theme] [yes|no]
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA = resolve(ROOT, '..', 'shared', 'data');

interface Find {
  set: string;
  review: number;
  sentences: number[];
  theme: string;
  words: string[];
  mentioned: boolean;
}

const audit = JSON.parse(readFileSync(join(ROOT, 'bench', 'aspect-audit.json'), 'utf8')) as { rules: Record<string, string>; finds: Find[] };
const [theme, verdict] = process.argv.slice(2);
const sets = new Map<string, Array<{ reviewTextJson: Record<string, string>; aspects: Record<string, number[]> }>>();
const reviewsOf = (set: string) => sets.get(set) ?? sets.set(set, JSON.parse(readFileSync(join(DATA, set), 'utf8'))).get(set)!;

let shown = 0;
for (const f of audit.finds) {
  if (theme && f.theme !== theme) continue;
  if (verdict && (verdict === 'yes') !== f.mentioned) continue;
  const review = reviewsOf(f.set)[f.review];
  console.log(`${f.set} review ${f.review}: ${f.theme} ${f.mentioned ? 'YES, talked about' : 'no'} (found by ${f.words.map((w) => `"${w}"`).join(', ')}; labels: ${Object.keys(review.aspects).join(', ') || 'none'})`);
  for (const s of f.sentences) console.log(`    [${s}] ${review.reviewTextJson[String(s)]}`);
  shown++;
}
console.log(`\n${shown} finds${theme ? ` of ${theme}` : ''}; the rule for each theme:`);
for (const [t, rule] of Object.entries(audit.rules)) if (!theme || t === theme) console.log(`  ${t}: ${rule}`);
