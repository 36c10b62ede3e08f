/**
 * Themes and sentiment of comments (src/text), on comments taken word for word from the real NPS
 * answers in ../shared/data/bt_nps_verbatims_textsummary.csv, labelled by hand (issue 14): the
 * themes a reader sees in each, the comment's sentiment, and the sentiment of chosen mentions.
 * Plus the rules a lexicon alone gets wrong: negation, contrast, intensifiers, "never again"; and
 * the workspace's own model, learnt from its answers, measured against the lexicon on held-out ones.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { analyzeText } from '../src/text/analyze.ts';
import { backfillTexts } from '../src/text/answers.ts';
import { features, labelOfScore, predict, train, trainAndEvaluate, type Example } from '../src/text/model.ts';
import { trainInThread } from '../src/text/train-thread.ts';
import { tokenize } from '../src/text/tokens.ts';
import type { Store } from '../src/store/db.ts';
import { backends, forEachBackend } from './helpers/backends.ts';
import { startServer } from './helpers/server.ts';
import { until } from './helpers/wait.ts';
import { importCsv } from '../src/ingest/csv-import.ts';
import { createReadStream } from 'node:fs';

// One process here: the clock is ticked by hand and jobs are picked up at once.
process.env.ADVOCATE_CLOCK_MS = '3600000';
process.env.ADVOCATE_JOB_POLL_MS = '30';

const FILE = new URL('../../shared/data/bt_nps_verbatims_textsummary.csv', import.meta.url);

interface Labelled {
  score: number;
  text: string;
  themes: string[];
  sentiment: 'negative' | 'neutral' | 'positive';
  /** theme id → the label of its first mention. */
  mentions?: Record<string, 'negative' | 'neutral' | 'positive'>;
}

// Picked from a random sample of the file; labelled by reading, before running the analysis.
const LABELLED: Labelled[] = [
  { score: 8, text: 'The website is really well structured and user friendly and helps you chose the right plan for you.', themes: ['digital', 'ease'], sentiment: 'positive', mentions: { digital: 'positive' } },
  { score: 7, text: 'I found the chat facilities were not great', themes: ['support'], sentiment: 'negative', mentions: { support: 'negative' } },
  { score: 10, text: 'Easy setup', themes: ['ease', 'setup'], sentiment: 'positive' },
  { score: 0, text: 'uncompetitive prices', themes: ['price'], sentiment: 'negative', mentions: { price: 'negative' } },
  { score: 8, text: 'Excellent service but not as cheap as other providers', themes: ['price'], sentiment: 'positive', mentions: { price: 'negative' } },
  { score: 8, text: 'The  staff were very good.', themes: ['staff'], sentiment: 'positive', mentions: { staff: 'positive' } },
  {
    score: 0,
    text: 'Still no broadband after a month. No communication never call back when they say. Appalling customer service. Seems to be no urgency to get my broadband problem solved. Absolute joke',
    themes: ['communication', 'reliability', 'support'],
    sentiment: 'negative',
    mentions: { support: 'negative' },
  },
  { score: 2, text: 'Long wait time to speak to advisors', themes: ['support'], sentiment: 'negative' },
  { score: 10, text: 'Clear instructions with a fair price offered', themes: ['price'], sentiment: 'positive', mentions: { price: 'positive' } },
  { score: 5, text: 'Easy to use but expensive', themes: ['ease', 'price'], sentiment: 'negative', mentions: { ease: 'positive', price: 'negative' } },
  { score: 10, text: 'Brill speeds', themes: ['reliability'], sentiment: 'positive' },
  {
    score: 1,
    text: 'Got a date for a engineer to come round and set up , took a day off work . The visit was cancelled I was not told and I missed a scan for our baby . In the end never needed a visit but still had to wait another 3 days',
    themes: ['communication', 'setup'],
    sentiment: 'negative',
  },
];

it('text: a dozen real NPS comments, labelled by hand, get their themes and sentiment', () => {
  // The comments are quoted here; with the data set beside the checkout, each is checked to be in it.
  const file = existsSync(FILE) ? readFileSync(FILE, 'utf8') : null;
  for (const l of LABELLED) {
    if (file) assert.ok(file.includes(l.text), `not in the data set: ${l.text}`);
    const a = analyzeText(l.text);
    const context = `${l.text} → ${JSON.stringify(a)}`;
    assert.deepEqual(a.themes.map((t) => t.id).sort(), [...l.themes].sort(), context);
    assert.equal(a.sentiment.label, l.sentiment, context);
    for (const [theme, label] of Object.entries(l.mentions ?? {})) {
      assert.equal(a.themes.find((t) => t.id === theme)?.mentions[0].sentiment.label, label, `${theme} in ${context}`);
    }
    // Offsets point at the words themselves.
    for (const t of a.themes) for (const m of t.mentions) assert.equal(l.text.slice(m.start, m.end), m.text);
  }
});

it('text: negation, contrast, intensifiers and set phrases turn sentiment as a reader would', () => {
  const label = (s: string) => analyzeText(s).sentiment.label;
  assert.equal(label('not bad'), 'positive');
  assert.equal(label('The food was good'), 'positive');
  assert.equal(label('The food was not good'), 'negative');
  assert.equal(label('Never again!'), 'negative');
  assert.equal(label('no complaints at all'), 'positive');
  assert.equal(label('It was fine but the delivery was really slow'), 'negative');
  assert.ok(analyzeText('very helpful').sentiment.score > analyzeText('helpful').sentiment.score);
  assert.ok(analyzeText('helpful!!').sentiment.score > analyzeText('helpful').sentiment.score);
  assert.equal(label('The parcel arrived on Tuesday'), 'neutral');
  // A department named is no feeling; what it did not do is.
  assert.equal(label('I called customer support'), 'neutral');
  assert.equal(label('Delivery was late and support never replied'), 'negative');
  assert.equal(label("They haven't replied to my email"), 'negative');
  // One mention per clause: the delivery is praised, the price is not.
  const a = analyzeText('Delivery was quick, but the price is far too expensive.');
  assert.equal(a.themes.find((t) => t.id === 'delivery')?.mentions[0].sentiment.label, 'positive');
  assert.equal(a.themes.find((t) => t.id === 'price')?.mentions[0].sentiment.label, 'negative');
});

it('text: words match whole, exclusions hold, hostile text is only text', () => {
  const ids = (s: string) => analyzeText(s).themes.map((t) => t.id);
  assert.deepEqual(ids('I booked an appointment'), ['setup']); // not "app"
  assert.deepEqual(ids('no complaints'), []); // support's "complaints" excluded here
  assert.deepEqual(ids('The deliveries were late'), ['delivery']);
  // Senses a word takes beside others: cheap to look at is how it is made; a price that drops is
  // about the price; a real deal, a deal-breaker or a broken heart name no theme.
  assert.deepEqual(ids('They feel cheap and the cord looks cheap'), ['quality']);
  assert.deepEqual(ids('Cheap and cheerful'), ['price']);
  assert.deepEqual(ids('I upgraded after the price dropped'), ['price']);
  assert.deepEqual(ids('The line dropped twice'), ['reliability']);
  assert.deepEqual(ids("It's the real deal, not a deal-breaker"), []);
  assert.deepEqual(ids('He was heart broken'), []);
  assert.deepEqual(ids('I simply love it'), []);
  // Dealing with someone is not a deal (29 of the BT answers' 231 price comments were price by it alone).
  assert.deepEqual(ids('The person I dealt with was very helpful'), ['staff']);
  assert.deepEqual(ids('It was dealt with quickly, I never had to deal with anyone else'), []);
  assert.deepEqual(ids('A good deal with free delivery'), ['price', 'delivery']);
  assert.deepEqual(ids('I got a better deal with you'), ['price']);
  assert.deepEqual(ids('Nothing was done or offered'), []);
  assert.deepEqual(ids('I thought it was a good offer'), ['price']);
  // An only complaint is about what follows; delivering good sound is not a parcel; a dropped phone is not a dropped line.
  assert.deepEqual(ids('My only complaint is the size'), []);
  assert.deepEqual(ids('My complaint was never answered'), ['support']);
  assert.deepEqual(ids('They deliver great sound'), []);
  assert.deepEqual(ids('They failed to deliver the order'), ['delivery']);
  assert.deepEqual(ids('I dropped it twice and dropped the rating to 4 stars'), []);
  assert.deepEqual(ids('The line keeps dropping'), ['reliability']);
  assert.deepEqual(ids('They are easy to throw in a bag and easier to store'), []);
  assert.deepEqual(ids('Easy to place an order'), ['ease']);
  // Working as it should is the product; arriving or going as expected is the order; a frozen price is a price.
  assert.deepEqual(ids('It worked as advertised and does what it says'), ['quality']);
  assert.deepEqual(ids('Price and delivery as advertised, the order went ahead as expected'), ['price', 'delivery']);
  assert.deepEqual(ids('They offered a price freeze for two years'), ['price']);
  assert.deepEqual(ids('I froze my membership after the car crash, when I crashed into a wall'), []);
  assert.deepEqual(ids('Their card was frozen'), []);
  assert.deepEqual(ids('The screen is frozen'), ['reliability']);
  assert.deepEqual(ids('Browsing the shop was lovely, web browsing on the tablet less so'), ['digital']);
  const freezes = analyzeText('The app freezes and keeps crashing').themes.find((t) => t.id === 'reliability');
  assert.deepEqual(freezes?.mentions.map((m) => [m.text, m.sentiment.label]), [['freezes', 'negative'], ['crashing', 'negative']]);
  const hyphen = analyzeText('Set-up was a deal-breaker for us; the set-up took an hour').themes.find((t) => t.id === 'setup');
  assert.deepEqual(hyphen?.mentions.map((m) => m.text), ['Set-up', 'set-up'], 'a hyphen inside the text joins a term\'s words, with its offsets');
  // Full-width letters (East Asian keyboards) are the letters they stand for; offsets are the text's own.
  const wide = analyzeText('Ｄｅｌｉｖｅｒｙ was ｓｌｏｗ');
  assert.deepEqual(wide.themes.map((t) => [t.id, t.mentions[0].text, t.mentions[0].start]), [['delivery', 'Ｄｅｌｉｖｅｒｙ', 0]]);
  const hostile = '<script>alert(1)</script> \u0000 "; drop table answers; -- 💥 refund ' + 'x'.repeat(5000);
  const a = analyzeText(hostile);
  const refund = a.themes.find((t) => t.id === 'returns')?.mentions[0];
  assert.ok(refund, JSON.stringify(a.themes));
  assert.equal(hostile.slice(refund.start, refund.end), 'refund');
  assert.deepEqual(analyzeText(''), { sentiment: { label: 'neutral', score: 0 }, themes: [] });
});

it('text: a workspace model learns words the lexicon does not know, from the answers it is given', async () => {
  const examples: Example[] = [];
  for (let i = 0; i < 30; i++) {
    examples.push({ text: `the blorp was ${['there', 'here', 'again'][i % 3]} ${i}`, label: 'negative' });
    examples.push({ text: `the zing was ${['there', 'here', 'again'][i % 3]} ${i}`, label: 'positive' });
    examples.push({ text: `the order was ${['there', 'here', 'again'][i % 3]} ${i}`, label: 'neutral' });
  }
  const model = train(examples);
  assert.equal(predict(null, tokenize('the blorp')).label, 'neutral'); // the lexicon alone
  assert.equal(predict(model, tokenize('what a blorp')).label, 'negative');
  assert.equal(predict(model, tokenize('what a zing')).label, 'positive');
  // Same examples, same seed: the same model.
  assert.deepEqual(train(examples).weights, model.weights);
  // Trained in a thread of its own (as the server does), the very same model.
  assert.deepEqual(await trainInThread(examples, 1, 7), trainAndEvaluate(examples, 1, 7));
});

it('text: in short messages a link counts as a link, a hashtag as its word, a stretched word as its short form', () => {
  const f = features(tokenize('@acme sooo slow!!! #fail https://t.co/abc123 mail me: jo@example.com'));
  for (const kept of ['@acme', 'soo', 'slow', 'fail', '<url>', '<email>']) assert.ok(f.has(kept), `${kept} in ${[...f.keys()]}`);
  for (const gone of ['sooo', '#fail', 'https://t.co/abc123', 'jo@example.com']) assert.ok(!f.has(gone), gone);
  // Every link is the same feature, so what links say about a message is learnt across messages.
  assert.deepEqual([...features(tokenize('see https://t.co/a1')).keys()], [...features(tokenize('see http://example.com/b2?x=1')).keys()]);
});

it('text: an emoji is one sign, with the feeling it shows', () => {
  // wink splits a presentation selector, a skin tone, a joined family and a flag off into pieces of their own.
  const signs = tokenize('thanks 👍🏽 ❤️ 👨‍👩‍👧 🇬🇧 1️⃣').map((t) => [t.value, t.lemma, t.start, t.end]);
  assert.deepEqual(signs, [['thanks', 'thanks', 0, 6], ['👍🏽', '👍', 7, 11], ['❤️', '❤', 12, 14], ['👨‍👩‍👧', '👨‍👩‍👧', 15, 23], ['🇬🇧', '🇬🇧', 24, 28], ['1️⃣', '1⃣', 29, 32]]);
  // A skin tone or a selector does not make another feature.
  assert.deepEqual([...features(tokenize('love it 👍🏽')).keys()], [...features(tokenize('love it 👍')).keys()]);
  const label = (text: string) => analyzeText(text).sentiment.label;
  assert.equal(label('@airline 😡😡'), 'negative');
  assert.equal(label('@airline ❤️ you guys'), 'positive');
  assert.equal(label('landed 👍🏽'), 'positive');
  assert.equal(label('flight 1234 from JFK ✈'), 'neutral');
});

it('text: on the BT answers the learnt model beats the lexicon on held-out comments', (t) => {
  if (!existsSync(FILE)) return t.skip(`../shared/data absent: ${fileURLToPath(FILE)} not found`);
  const rows = parse(readFileSync(FILE), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  const examples = rows.filter((r) => r.NPS_SCORE !== '' && r.text?.trim()).map((r) => ({ text: r.text, label: labelOfScore(Number(r.NPS_SCORE)) }));
  const model = trainAndEvaluate(examples);
  const e = model.evaluation!;
  t.diagnostic(`held out ${e.heldOut}: model ${(e.accuracy * 100).toFixed(1)}% vs lexicon ${(e.lexiconAccuracy * 100).toFixed(1)}%; recall ${JSON.stringify(e.recall)}; detractors vs promoters: model ${(e.detractorVsPromoter.model * 100).toFixed(1)}% vs lexicon ${(e.detractorVsPromoter.lexicon * 100).toFixed(1)}% (${e.detractorVsPromoter.examples})`);
  assert.ok(e.heldOut > 400, `held out ${e.heldOut}`);
  assert.ok(e.detractorVsPromoter.model > e.detractorVsPromoter.lexicon, JSON.stringify(e));
  assert.ok(e.accuracy > e.lexiconAccuracy, JSON.stringify(e));
  assert.equal(model.examples, examples.length);
});

forEachBackend('text: POST /api/v1/text/analyze answers up to 100 texts with a secret key, and names the field it refuses', async (store) => {
  const s = await startServer(store);
  try {
    const texts = ['Easy to use but expensive', '<img src=x onerror=alert(1)> refund please', ''];
    const r = await s.call('POST', '/api/v1/text/analyze', s.ws.secretKey, { texts });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.items.length, 3);
    assert.equal(r.json.model, null); // no model trained yet: the lexicon
    assert.deepEqual(r.json.items[0], JSON.parse(JSON.stringify(analyzeText(texts[0]))));
    const refund = r.json.items[1].themes.find((t: any) => t.id === 'returns').mentions[0];
    assert.equal(texts[1].slice(refund.start, refund.end), 'refund');
    assert.deepEqual(r.json.items[2], { sentiment: { label: 'neutral', score: 0 }, themes: [] });

    const tooMany = await s.call('POST', '/api/v1/text/analyze', s.ws.secretKey, { texts: new Array(101).fill('fine') });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.json.message, /texts/);
    const notText = await s.call('POST', '/api/v1/text/analyze', s.ws.secretKey, { texts: ['fine', 7] });
    assert.equal(notText.status, 400);
    assert.match(notText.json.message, /texts/);
    const none = await s.call('POST', '/api/v1/text/analyze', s.ws.secretKey, { texts: [] });
    assert.equal(none.status, 400);
    // Public write keys write; they read nothing, not even an analysis.
    assert.equal((await s.call('POST', '/api/v1/text/analyze', s.ws.writeKey, { texts })).status, 403);
    assert.equal((await s.call('POST', '/api/v1/text/analyze', null, { texts })).status, 401);
  } finally {
    await s.close();
  }
});

/** The workspace's sentiment-model training jobs, by status. */
const trainJobs = (store: Store, workspaceId: string) => store.db.selectFrom('jobs').select('status').where('kind', '=', 'text-train').where('workspace_id', '=', workspaceId).execute();

const MODEL_TITLE = 'text: the workspace model is learnt from its imported answers on demand, reported with its held-out accuracy, and then scores analyses';
if (!existsSync(FILE)) it(MODEL_TITLE, (t) => t.skip(`../shared/data absent: ${fileURLToPath(FILE)} not found`));
else forEachBackend(MODEL_TITLE, async (store) => {
  const s = await startServer(store);
  try {
    const key = s.ws.secretKey;
    assert.deepEqual((await s.call('GET', '/api/v1/text/model', key)).json.model, null);
    // Too few comments: a clear refusal, nothing stored.
    for (const score of [2, 10]) assert.equal((await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `u${score}` }, score, comment: 'fine' })).status, 201);
    const early = await s.call('POST', '/api/v1/text/model/train', key);
    assert.equal(early.status, 409, early.text);
    assert.match(early.json.message, /at least 10 .*negative.*neutral.*positive/);
    assert.deepEqual((await s.call('GET', '/api/v1/text/model', key)).json.model, null);

    await importCsv(store, s.ws.id, 'answers', createReadStream(FILE), { map: { NPS_SCORE: 'score', text: 'comment', CUSTOMER_RESPONSE_DATE: 'timestamp', SURVEY_SUB_TYPE: 'stage' }, dateFormat: 'dmy', quiet: true, writer: s.services.writer });
    const trained = await s.call('POST', '/api/v1/text/model/train', key);
    assert.equal(trained.status, 200, trained.text);
    const m = trained.json.model;
    assert.ok(m.examples >= 2300, JSON.stringify(m));
    assert.ok(m.evaluation.accuracy > m.evaluation.lexiconAccuracy, JSON.stringify(m.evaluation));
    assert.ok(m.evaluation.detractorVsPromoter.model > m.evaluation.detractorVsPromoter.lexicon, JSON.stringify(m.evaluation));
    assert.deepEqual((await s.call('GET', '/api/v1/text/model', key)).json.model, trained.json.model);
    assert.ok(m.evaluation.macroF1 > m.evaluation.lexiconMacroF1, JSON.stringify(m.evaluation));
    // The stored comments, read by the lexicon as they came, are read again by the model in the background.
    const coverage = await until('every stored comment read by the new model', async () => {
      const a = (await s.call('GET', '/api/v1/text/model', key)).json.analysis;
      return a.comments > 2300 && a.current === a.comments ? a : null;
    }, 60_000);
    assert.equal(coverage.comments, m.examples);
    const models = await store.db.selectFrom('answer_texts').select('model_id').distinct().where('workspace_id', '=', s.ws.id).execute();
    assert.deepEqual(models.map((r) => r.model_id), [m.id]);

    const r = await s.call('POST', '/api/v1/text/analyze', key, { texts: ['Still waiting for the engineer, nobody turned up', 'Brilliant, quick and easy'] });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.model, m.id);
    assert.deepEqual(r.json.items.map((i: any) => i.sentiment.label), ['negative', 'positive']);
    // The clock retrains a day later (a job), and leaves a fresh model alone.
    await s.tick(Date.now() + 3_600_000);
    assert.equal((await s.call('GET', '/api/v1/text/model', key)).json.model.id, m.id);
    await s.tick(Date.now() + 25 * 3_600_000);
    await until('the daily retraining', async () => { const j = await trainJobs(store, s.ws.id); return j.length === 1 && j[0].status === 'done'; }, 30_000);
    const again = (await s.call('GET', '/api/v1/text/model', key)).json.model;
    assert.notEqual(again.id, m.id);
    assert.equal(again.examples, m.examples);
    // Another workspace sees neither the model nor its figures.
    assert.deepEqual((await s.call('GET', '/api/v1/text/model', s.other.secretKey)).json.model, null);
    assert.equal((await s.call('POST', '/api/v1/text/analyze', s.other.secretKey, { texts: ['fine'] })).json.model, null);
  } finally {
    await s.close();
  }
});

it('text: a request of 100 texts of 10,000 characters leaves the server answering others while it is read', async () => {
  const store = await backends()[0].open();
  const s = await startServer(store);
  try {
    const long = 'The delivery was slow but the staff were lovely and the price was fair. '.repeat(140).slice(0, 10_000);
    let doneAt = 0;
    const big = s.call('POST', '/api/v1/text/analyze', s.ws.secretKey, { texts: Array(100).fill(long) }).then((r) => ((doneAt = performance.now()), r));
    // One check after another while it is read: answered in between, not queued behind it.
    const answered: number[] = [];
    while (!doneAt && answered.length < 10_000) {
      assert.equal((await s.call('GET', '/health')).status, 200);
      answered.push(performance.now());
    }
    const r = await big;
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.items.length, 100);
    assert.deepEqual(r.json.items[99], analyzeText(long));
    const meanwhile = answered.filter((t) => t < doneAt).length;
    assert.ok(meanwhile >= 10, `${meanwhile} health checks answered while the texts were read`);
  } finally {
    await s.close();
    await store.close();
  }
});

forEachBackend('text: the clock learns a workspace its first model minutes after it has the comments one needs', async (store) => {
  const s = await startServer(store);
  try {
    const t0 = Date.now();
    await s.tick(t0);
    assert.equal((await trainJobs(store, s.ws.id)).length, 0, 'nothing to learn from yet');
    let n = 0;
    for (const [score, text] of [[2, 'Slow and rude, awful'], [7, 'It was fine, nothing special'], [10, 'Brilliant and quick, thank you']] as const) {
      for (let i = 0; i < 10; i++) assert.equal((await s.call('POST', '/api/v1/answers', s.ws.writeKey, { person: { userId: `c${n++}` }, score, comment: `${text} (${i})` })).status, 201);
    }
    const before = (await s.call('GET', '/api/v1/text/model', s.ws.secretKey)).json;
    assert.equal(before.model, null);
    assert.deepEqual(before.learning, { comments: { negative: 10, neutral: 10, positive: 10 }, needed: 10, everyHours: 24 });
    await s.tick(t0 + 60_000);
    assert.equal((await trainJobs(store, s.ws.id)).length, 0, 'a minute on, not looked at again yet');
    await s.tick(t0 + 6 * 60_000);
    await until('the first model', async () => { const j = await trainJobs(store, s.ws.id); return (j.length === 1 && j[0].status === 'done') || null; }, 30_000);
    assert.equal((await s.call('GET', '/api/v1/text/model', s.ws.secretKey)).json.model.examples, 30);
  } finally {
    await s.close();
  }
});

forEachBackend('text: every answer is analysed as it arrives (on the bus), filterable by theme, sentiment and words; edits, erasure and back-fill keep it right', async (store) => {
  const s = await startServer(store);
  try {
    const w = s.ws.writeKey;
    const key = s.ws.secretKey;
    const post = async (userId: string, score: number, comment?: string) => {
      const r = await s.call('POST', '/api/v1/answers', w, { person: { userId }, score, ...(comment ? { comment } : {}) });
      assert.equal(r.status, 201, r.text);
      return r.json.answer.id as string;
    };
    const late = await post('ann', 2, 'The delivery was three days late and nobody told me');
    const praise = await post('bob', 10, 'Lovely staff, quick delivery');
    const price = await post('cy', 6, 'Far too expensive for what it is (100% markup)');
    const silent = await post('dee', 9);
    await s.tick();
    const list = async (query: string) => {
      const r = await s.call('GET', `/api/v1/answers?${query}`, key);
      assert.equal(r.status, 200, r.text);
      return r.json.items as any[];
    };
    const all = await list('limit=10');
    const byId = new Map(all.map((a) => [a.id, a]));
    assert.equal(byId.get(silent).text, null);
    const t = byId.get(late).text;
    assert.equal(t.sentiment.label, 'negative');
    const delivery = t.themes.find((h: any) => h.id === 'delivery');
    assert.equal(delivery.name, 'Delivery and shipping');
    assert.equal(delivery.mentions[0].text, 'delivery');
    assert.deepEqual((await list('theme=delivery')).map((a) => a.id).sort(), [late, praise].sort());
    assert.deepEqual((await list('theme=delivery&sentiment=positive')).map((a) => a.id), [praise]);
    assert.deepEqual((await list('sentiment=negative')).map((a) => a.id).sort(), [late, price].sort());
    assert.deepEqual((await list('q=LATE')).map((a) => a.id), [late]);
    assert.deepEqual((await list(`q=${encodeURIComponent('100%')}`)).map((a) => a.id), [price]);
    assert.deepEqual(await list(`q=${encodeURIComponent('%')}&theme=staff`), []);
    assert.equal((await s.call('GET', '/api/v1/answers?sentiment=angry', key)).status, 400);
    // Another workspace finds none of them.
    assert.deepEqual((await s.call('GET', '/api/v1/answers?theme=delivery', s.other.secretKey)).json.items, []);

    // An edited comment is analysed again.
    assert.equal((await s.call('PATCH', `/api/v1/answers/${praise}`, key, { comment: 'The website kept crashing' })).status, 200);
    // At once, before it is read again: never the old words' themes (nor their offsets on the new words).
    assert.deepEqual((await list('theme=delivery')).map((a) => a.id), [late]);
    const edited = (await s.call('GET', `/api/v1/answers/${praise}`, key)).json.answer;
    assert.ok(edited.text === null || edited.text.themes.every((h: any) => h.id !== 'delivery'), JSON.stringify(edited.text));
    await s.tick();
    assert.deepEqual((await list('theme=delivery')).map((a) => a.id), [late]);
    assert.deepEqual((await list('theme=digital')).map((a) => a.id), [praise]);

    // Erasing a person takes what their comments said with them.
    const ann = (await s.call('GET', '/api/v1/profiles?userId=ann', key)).json.id;
    assert.equal((await s.call('DELETE', `/api/v1/profiles/${ann}`, key)).status, 200);
    await s.tick();
    for (const table of ['answer_texts', 'answer_themes'] as const) {
      assert.equal((await store.db.selectFrom(table).select('answer_id').where('answer_id', '=', late).execute()).length, 0, table);
    }

    // Answers stored before analysis existed are analysed by the back-fill, once.
    await store.db.deleteFrom('answer_themes').execute();
    await store.db.deleteFrom('answer_texts').execute();
    const seen: number[] = [];
    assert.equal(await backfillTexts(store.db, s.services.textModels, { workspaceId: s.ws.id, onProgress: (p) => seen.push(p.done), pageSize: 1 }), 2);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(await backfillTexts(store.db, s.services.textModels, {}), 0);
    assert.deepEqual((await list('theme=price')).map((a) => a.id), [price]);
  } finally {
    await s.close();
  }
});
