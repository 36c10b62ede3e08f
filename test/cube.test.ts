import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AnswerColumns } from '../src/analytics/columns.ts';
import { countBy, countDim } from '../src/analytics/query.ts';
import { dimension } from '../src/analytics/dimensions.ts';
import { Random } from '../src/domain/random.ts';
import type { AnswerFact } from '../src/store/answer-feed.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);

function fact(r: Random, id: string, at: number, updated: number): AnswerFact {
  return {
    id, profile_id: `p${r.int(0, 50)}`, score: r.int(0, 10), channel: r.pick(['web', 'email', 'sms']), survey_id: null,
    stage: r.pick(['Order', 'Delivery', null]), campaign: null, utm_source: null, device: null,
    days_since_last_order: null, days_since_first_seen: null, properties: '{}', answered_at: at, updated_at: updated,
  };
}

// The day cubes must give exactly what a scan of every row gives, whatever happened to the rows
// (new answers in any time order, changed scores, erasures, re-answers after erasure) and for
// ranges that start and end mid-day, on midnight, or inside one day.
for (const [label, journalMax] of [['', undefined], [', with the change journal restarting often', 3 * 40]] as const) it(`day cubes agree with a full scan after adds, changes and erasures, for any range${label}`, () => {
  const r = new Random(11);
  const cols = new AnswerColumns(1024, journalMax);
  const ids: string[] = [];
  let version = 1;
  const ranges = () => {
    const a = T0 + r.int(-5, 70) * DAY + (r.chance(0.3) ? 0 : r.int(0, DAY - 1));
    const b = r.chance(0.2) ? a + r.int(1, 6) * 3_600_000 : a + r.int(0, 40) * DAY + (r.chance(0.3) ? 0 : r.int(0, DAY - 1));
    return [{}, { from: a }, { to: b }, { from: a, to: Math.max(a + 1, b) }];
  };
  for (let round = 0; round < 30; round++) {
    for (let k = 0; k < 200; k++) {
      const roll = r.next();
      if (roll < 0.6 || ids.length < 10) {
        const id = `a${ids.length}`;
        ids.push(id);
        cols.upsert(fact(r, id, T0 + r.int(0, 60) * DAY + r.int(0, DAY - 1), version++));
      } else if (roll < 0.85) {
        // A changed score keeps what the answer was asked in (channel, stage, time).
        // Rows are added in order, so answer i is row i.
        const n = r.int(0, ids.length - 1);
        const f = fact(r, ids[n], cols.at[n], version++);
        f.channel = cols.dicts.channel.labels[cols.coded.channel[n]]!;
        f.stage = cols.dicts.stage.labels[cols.coded.stage[n]] ?? null;
        cols.upsert(f);
      } else {
        cols.remove(ids[r.int(0, ids.length - 1)]);
      }
    }
    for (const filter of ranges()) {
      for (const by of [null, 'score', 'channel', 'stage'] as const) {
        const fromCube = countDim(cols, filter, by);
        const column = by === null ? null : by === 'score' ? cols.score : dimension(cols, by).codes;
        const scanned = countBy(cols, filter, fromCube.keys, column);
        assert.deepEqual([...fromCube.counts], [...scanned], `round ${round}, by ${by}, ${JSON.stringify(filter)}`);
      }
    }
  }
});

// Filters that keep few rows read them through row indexes (by value, by person); the figures
// must equal a plain count of every row, also after answers change hands and new rows arrive.
it('figures read through row indexes equal a plain count, after merges and new answers', () => {
  const r = new Random(12);
  const cols = new AnswerColumns();
  let version = 1;
  let added = 0;
  const add = (k: number) => {
    for (let j = 0; j < k; j++) {
      const f = fact(r, `a${added++}`, T0 + r.int(0, 60) * DAY, version++);
      f.channel = r.pick(['web', 'email', 'sms', 'app', 'store', 'kiosk']);
      cols.upsert(f);
    }
  };
  const plain = (filter: { channels?: string[]; people?: Uint8Array; from?: number }) => {
    const counts = new Int32Array(cols.dicts.stage.size * 3);
    for (let i = 0; i < cols.n; i++) {
      if (cols.category[i] === 3) continue;
      if (filter.from != null && cols.at[i] < filter.from) continue;
      if (filter.channels && !filter.channels.includes(cols.dicts.channel.labels[cols.coded.channel[i]]!)) continue;
      if (filter.people && !filter.people[cols.profile[i]]) continue;
      counts[cols.coded.stage[i] * 3 + cols.category[i]]++;
    }
    return [...counts];
  };
  add(3000);
  for (let round = 0; round < 12; round++) {
    const people = new Uint8Array(cols.profiles.size);
    for (let p = 0; p < people.length; p++) people[p] = r.chance(0.1) ? 1 : 0;
    const cases = [
      { where: { channel: ['email'] } },
      { where: { channel: ['kiosk', 'app'] }, from: T0 + 20 * DAY },
      { people },
      { people, where: { channel: ['web'] } },
      { where: { channel: ['web', 'email', 'sms', 'app'] } }, // most rows: scanned
    ];
    for (const f of cases) {
      const got = [...countBy(cols, f, cols.dicts.stage.size, cols.coded.stage)];
      assert.deepEqual(got, plain({ channels: f.where?.channel, people: f.people, from: f.from }), `round ${round}: ${JSON.stringify(f.where)} ${f.people ? 'segment' : ''}`);
    }
    // Between reads: some answers change hands (merges), new ones arrive, some are erased.
    for (let k = 0; k < 30; k++) {
      const n = r.int(0, cols.n - 1);
      const f = fact(r, `a${n}`, cols.at[n], version++);
      f.channel = cols.dicts.channel.labels[cols.coded.channel[n]]!;
      f.stage = cols.dicts.stage.labels[cols.coded.stage[n]] ?? null;
      cols.upsert(f);
    }
    add(round % 3 === 0 ? 800 : 40);
    cols.remove(`a${r.int(0, cols.n - 1)}`);
    // The same segment again: what was kept for it must follow the merges and the new rows.
    for (const f of [{ people }, { people, from: T0 + 10 * DAY }]) {
      assert.deepEqual([...countBy(cols, f, cols.dicts.stage.size, cols.coded.stage)], plain({ people: f.people, from: f.from }), `round ${round}: segment again`);
    }
  }
});
