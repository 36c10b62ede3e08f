/**
 * Prints the reading by hand in bench/aspect-audit.json with the sentences it judged, taken from
 * ../shared/data (not copied into the repository), so anyone can check it:
 *
 *   npx tsx bench/aspect-audit.ts [theme] [yes|no]
 */
import { readAudit, reviewsOf } from './lib/aspects.ts';

const audit = readAudit();
const [theme, verdict] = process.argv.slice(2);

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
