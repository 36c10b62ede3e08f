import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchLayout, batchMessageLengths } from '../src/ingest/batch-spans.ts';

test('batch spans: each message of a batch measured off the JSON text, as JSON.stringify would', () => {
  const batch = [
    { type: 'track', event: 'Quote " and \\ backslash', properties: { nested: [1, { a: '}]' }], empty: {} } },
    { type: 'page', name: 'Café ☕ 日本', properties: { emoji: '🙂', escaped: '\u0001' } },
    null,
    42,
    'a string with , and ] inside',
  ];
  const compact = JSON.stringify({ sentAt: 'batch', context: { batch: [1, 2] }, batch });
  assert.deepEqual(batchMessageLengths(compact), batch.map((m) => JSON.stringify(m).length));
  // Whitespace around messages is not counted; whitespace inside is (it was sent).
  const spaced = JSON.stringify({ batch }, null, 2);
  const lengths = batchMessageLengths(spaced)!;
  assert.equal(lengths.length, batch.length);
  lengths.forEach((n, i) => assert.ok(n >= JSON.stringify(batch[i]).length, `message ${i}`));
  assert.deepEqual(batchMessageLengths(JSON.stringify({ batch: [] })), []);
});

test('batch spans: the last "batch" key counts, as in JSON.parse; odd shapes give null', () => {
  assert.deepEqual(batchMessageLengths('{"batch":[1],"batch":[22,333]}'), [2, 3]);
  assert.deepEqual(batchMessageLengths('{"a":{"batch":[1,2,3]},"batch":["x"]}'), [3]);
  assert.equal(batchMessageLengths('{"batch":[1,2'), null);
  assert.equal(batchMessageLengths('{"batch":["unterminated]}'), null);
  assert.equal(batchMessageLengths('{"other":[1]}'), null);
});

test('batch layout: each message where it lies and the batch array, so one message can be read or emptied alone', () => {
  const text = '{"sentAt":"2026-01-01T00:00:00Z", "batch": [ {"a":"],"} , 7,\n"x" ], "context":{"k":1}}';
  const layout = batchLayout(text)!;
  assert.deepEqual(layout.spans.map(([from, to]) => text.slice(from, to)), ['{"a":"],"}', '7', '"x"']);
  assert.equal(text[layout.array[0]], '[');
  assert.equal(text[layout.array[1]], ']');
  assert.deepEqual(JSON.parse(`${text.slice(0, layout.array[0])}[]${text.slice(layout.array[1] + 1)}`), { sentAt: '2026-01-01T00:00:00Z', batch: [], context: { k: 1 } });
  assert.equal(batchLayout('{"batch":[1,2'), null);
});
