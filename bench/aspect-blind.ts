/**
 * The blind second reading of the extra theme finds (bench/aspect-blind.json, method in its _about):
 * how each reader answered each kind of item, how far the readers agree with each other and with
 * the first reading (bench/aspect-audit.json), as agreement and Cohen's kappa.
 *
 *   npx tsx bench/aspect-blind.ts                 the readings on record
 *   npx tsx bench/aspect-blind.ts answers.json    a new reader's answers beside them
 *   npx tsx bench/aspect-blind.ts items DIR       the same items and instructions for a new reader
 *
 * The reviews come from ../shared/data and are not copied into the repository.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { findKey, readAudit, readBlind, reviewsOf, type BlindKind, type BlindReading } from './lib/aspects.ts';
import { ROOT } from './lib/harness.ts';

const PRODUCT: Record<string, string> = {
  'aspects_headphone100.json': 'headphones',
  'aspects_kindle100.json': 'Kindle e-reader/tablet',
  'aspects_sandisk100.json': 'SanDisk memory card',
};

/** Share of the same answers, and Cohen's kappa (that agreement beyond what each reader's yes-rate gives by chance). */
function agreement(a: boolean[], b: boolean[]): { same: number; kappa: number } {
  const n = a.length;
  const same = a.filter((x, i) => x === b[i]).length / n;
  const ya = a.filter(Boolean).length / n;
  const yb = b.filter(Boolean).length / n;
  const chance = ya * yb + (1 - ya) * (1 - yb);
  return { same, kappa: chance === 1 ? NaN : (same - chance) / (1 - chance) };
}

function writeItems(dir: string, blind: BlindReading): void {
  const items = blind.items.map((item) => {
    const sentences = reviewsOf(item.set)[item.review].reviewTextJson;
    const review = Object.keys(sentences).sort((x, y) => Number(x) - Number(y)).map((k) => sentences[k]);
    // Nothing that tells a find from a control: no kind, set or sentence the analysis matched.
    return { id: item.id, product: PRODUCT[item.set], theme: item.theme, review };
  });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'items.json'), JSON.stringify({ rules: readAudit().rules, items }, null, 1));
  copyFileSync(join(ROOT, 'bench', 'aspect-blind.md'), join(dir, 'INSTRUCTIONS.md'));
  console.log(`${items.length} items and the instructions written to ${dir}`);
}

function readAnswers(file: string, blind: BlindReading): Record<string, boolean> {
  const answers = JSON.parse(readFileSync(file, 'utf8')) as Array<{ id: number; talks: boolean }>;
  const byId: Record<string, boolean> = {};
  for (const a of answers) {
    if (typeof a.id !== 'number' || typeof a.talks !== 'boolean') throw new Error(`${file}: each answer needs a numeric "id" and a boolean "talks" (got ${JSON.stringify(a)})`);
    if (String(a.id) in byId) throw new Error(`${file}: item ${a.id} is answered twice`);
    byId[String(a.id)] = a.talks;
  }
  const missing = blind.items.filter((i) => !(String(i.id) in byId)).map((i) => i.id);
  if (missing.length) throw new Error(`${file}: no answer for ${missing.length} items (${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''})`);
  return byId;
}

function report(blind: BlindReading): void {
  const first = new Map(readAudit().finds.map((f) => [findKey(f.set, f.review, f.theme), f.mentioned]));
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const kinds: Array<[BlindKind, string]> = [
    ['extra', 'extra finds (the analysis finds, the labels do not name)'],
    ['agreed', 'finds the labels agree with'],
    ['missed', 'labelled themes the analysis misses'],
    ['decoy', 'neither labelled nor found'],
  ];
  const names = Object.keys(blind.readers);
  console.log('answered "talks about it", by kind of item:');
  for (const [kind, label] of kinds) {
    const items = blind.items.filter((i) => i.kind === kind);
    const rates = names.map((r) => `${r} ${pct(items.filter((i) => blind.readers[r][String(i.id)]).length / items.length)}`);
    console.log(`  ${label} (${items.length}): ${rates.join(', ')}`);
  }
  const extra = blind.items.filter((i) => i.kind === 'extra');
  const firstReading = extra.map((i) => first.get(findKey(i.set, i.review, i.theme)) === true);
  console.log(`  first reading (bench/aspect-audit.json), extra finds: ${pct(firstReading.filter(Boolean).length / extra.length)}`);
  console.log('agreement on the extra finds (same answers, kappa):');
  const answersOf = (r: string) => extra.map((i) => blind.readers[r][String(i.id)]);
  for (const r of names) {
    const a = agreement(answersOf(r), firstReading);
    console.log(`  ${r} with the first reading: ${pct(a.same)}, ${a.kappa.toFixed(2)}`);
  }
  for (let x = 0; x < names.length; x++) {
    for (let y = x + 1; y < names.length; y++) {
      const a = agreement(answersOf(names[x]), answersOf(names[y]));
      console.log(`  ${names[x]} with ${names[y]}: ${pct(a.same)}, ${a.kappa.toFixed(2)}`);
    }
  }
}

const [command, arg] = process.argv.slice(2);
try {
  const blind = readBlind();
  if (command === 'items') {
    if (!arg) throw new Error('usage: npx tsx bench/aspect-blind.ts items DIR');
    writeItems(resolve(arg), blind);
  } else {
    if (command) blind.readers[basename(command).replace(/\.json$/, '')] = readAnswers(command, blind);
    report(blind);
  }
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
