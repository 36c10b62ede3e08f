import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  Z95,
  countsFromScores,
  erfc,
  normalCdf,
  npsDifference,
  npsSummary,
  npsValue,
  pairedDifference,
  twoSidedP,
  type NpsCounts,
} from '../src/domain/nps.ts';

/** Equal to the number of decimals the oracle was printed with (half a unit in the last place). */
function close(actual: number | null, expected: number, decimals: number, label = ''): void {
  assert.ok(actual !== null, `${label}: expected ${expected}, got null`);
  const tolerance = 0.5 * 10 ** -decimals + 1e-12;
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${label}: expected ${expected} (±${tolerance}), got ${actual}`,
  );
}

function counts(promoters: number, passives: number, detractors: number): NpsCounts {
  return { promoters, passives, detractors };
}

describe('npsSummary — STATS.md reference table', () => {
  // [P, passives, D], NPS, Wald se, Wald CI, adjusted NPS, adjusted CI, each with its printed decimals.
  const rows: Array<{
    c: [number, number, number];
    nps: [number, number];
    se: number;
    ci: [number, number];
    adj: [number, number];
    adjCi: [number, number];
  }> = [
    { c: [250, 675, 75], nps: [17.5, 1], se: 0.01716, ci: [14.137, 20.863], adj: [17.448, 3], adjCi: [14.086, 20.809] },
    { c: [291, 476, 395], nps: [-8.95, 2], se: 0.02239, ci: [-13.338, -4.562], adj: [-8.927, 3], adjCi: [-13.308, -4.546] },
    { c: [690, 392, 1271], nps: [-24.692, 3], se: 0.01812, ci: [-28.243, -21.141], adj: [-24.66, 3], adjCi: [-28.209, -21.112] },
    { c: [5, 3, 2], nps: [30.0, 1], se: 0.24698, ci: [-18.408, 78.408], adj: [23.077, 3], adjCi: [-19.051, 65.204] },
    { c: [0, 0, 1], nps: [-100, 0], se: 0, ci: [-100, -100], adj: [-25.0, 1], adjCi: [-98.499, 48.499] },
  ];

  for (const row of rows) {
    it(row.c.join(' / '), () => {
      const s = npsSummary(counts(...row.c));
      assert.equal(s.n, row.c[0] + row.c[1] + row.c[2]);
      close(s.nps, row.nps[0], row.nps[1], 'nps');
      close(s.wald.se, row.se, 5, 'wald se');
      close(s.wald.low, row.ci[0], 3, 'wald low');
      close(s.wald.high, row.ci[1], 3, 'wald high');
      close(s.adjusted.nps, row.adj[0], row.adj[1], 'adjusted nps');
      close(s.adjusted.low, row.adjCi[0], 3, 'adjusted low');
      close(s.adjusted.high, row.adjCi[1], 3, 'adjusted high');
      assert.ok(s.margin !== null && s.adjusted.high !== null && s.adjusted.nps !== null);
      close(s.margin, s.adjusted.high - s.adjusted.nps, 9, 'margin');
    });
  }

  it('keeps full precision rather than rounding', () => {
    const s = npsSummary(counts(690, 392, 1271));
    close(s.nps, (100 * (690 - 1271)) / 2353, 12, 'nps');
    assert.notEqual(s.nps, -24.692);
  });

  it('reports shares as fractions', () => {
    const s = npsSummary(counts(5, 3, 2));
    assert.equal(s.promoterShare, 0.5);
    assert.equal(s.passiveShare, 0.3);
    assert.equal(s.detractorShare, 0.2);
  });

  it('flags low samples by the adjusted half-width', () => {
    assert.equal(npsSummary(counts(5, 3, 2)).lowSample, true);
    assert.equal(npsSummary(counts(250, 675, 75)).lowSample, false);
    assert.equal(npsSummary(counts(690, 392, 1271)).lowSample, false);
    assert.equal(npsSummary(counts(5, 3, 2), { lowSampleMargin: 50 }).lowSample, false);
  });

  it('honours a custom z', () => {
    const s = npsSummary(counts(5, 3, 2), { z: 1 });
    close(s.wald.low, 30 - 24.698, 3, 'wald low at z=1');
  });
});

describe('npsSummary — edge cases', () => {
  it('n = 0 gives nulls, not NaN', () => {
    const s = npsSummary(counts(0, 0, 0));
    assert.equal(s.n, 0);
    assert.equal(s.nps, null);
    assert.equal(s.promoterShare, null);
    assert.deepEqual(s.wald, { se: null, low: null, high: null });
    assert.deepEqual(s.adjusted, { nps: null, se: null, low: null, high: null });
    assert.equal(s.margin, null);
    assert.equal(s.lowSample, true);
  });

  it('all promoters: Wald collapses, adjusted Wald does not', () => {
    const s = npsSummary(counts(20, 0, 0));
    assert.equal(s.nps, 100);
    assert.equal(s.wald.se, 0);
    assert.equal(s.wald.low, 100);
    assert.equal(s.wald.high, 100);
    close(s.adjusted.nps, (100 * 20) / 23, 9, 'adjusted nps');
    assert.ok(s.adjusted.low !== null && s.adjusted.high !== null);
    assert.ok(s.adjusted.low < s.adjusted.nps! && s.adjusted.high > s.adjusted.nps!);
    assert.equal(s.lowSample, true);
  });

  it('a single promoter', () => {
    const s = npsSummary(counts(1, 0, 0));
    assert.equal(s.nps, 100);
    assert.equal(s.wald.se, 0);
    close(s.adjusted.nps, 25, 9, 'adjusted nps');
    // Adjusted: n = 4, p = 0.4375, d = 0.1875, v = 0.625 − 0.0625, se = sqrt(0.5625 / 4) = 0.375.
    close(s.adjusted.se, 0.375, 12, 'adjusted se');
    close(s.adjusted.low, 25 - 100 * Z95 * 0.375, 9, 'adjusted low');
    assert.equal(s.lowSample, true);
  });

  it('rejects invalid counts', () => {
    assert.throws(() => npsSummary(counts(-1, 0, 0)), RangeError);
    assert.throws(() => npsSummary(counts(NaN, 0, 0)), RangeError);
  });
});

describe('npsDifference — STATS.md two-sample examples', () => {
  it('250/675/75 vs 291/476/395 is significant', () => {
    const r = npsDifference(counts(250, 675, 75), counts(291, 476, 395));
    close(r.diff, 26.45, 2, 'diff');
    close(r.se, 0.02821, 5, 'se');
    close(r.z, 9.378, 3, 'z');
    assert.ok(r.p !== null && r.p < 1e-6, `p = ${r.p}`);
    assert.equal(r.significant, true);
    const exactDiff = 100 * (175 / 1000 - (291 - 395) / 1162);
    close(r.low, exactDiff - 100 * Z95 * 0.0282052776, 6, 'low');
    close(r.high, exactDiff + 100 * Z95 * 0.0282052776, 6, 'high');
  });

  it('60/25/15 vs 50/30/20 is not significant', () => {
    const r = npsDifference(counts(60, 25, 15), counts(50, 30, 20));
    close(r.diff, 15.0, 1, 'diff');
    close(r.se, 0.10759, 5, 'se');
    close(r.z, 1.394, 3, 'z');
    close(r.p, 0.163, 3, 'p');
    close(r.p, 0.16325171243, 9, 'p (precise)');
    assert.equal(r.significant, false);
    assert.ok(r.low! < 0 && r.high! > 0);
  });

  it('is antisymmetric', () => {
    const ab = npsDifference(counts(60, 25, 15), counts(50, 30, 20));
    const ba = npsDifference(counts(50, 30, 20), counts(60, 25, 15));
    close(ba.diff, -ab.diff!, 12, 'diff');
    assert.equal(ba.p, ab.p);
  });

  it('an empty group gives nulls', () => {
    const r = npsDifference(counts(0, 0, 0), counts(5, 3, 2));
    assert.deepEqual(r, { diff: null, se: null, z: null, p: null, low: null, high: null, significant: false });
  });

  it('zero variance on both sides does not produce NaN', () => {
    const same = npsDifference(counts(4, 0, 0), counts(9, 0, 0));
    assert.equal(same.diff, 0);
    assert.equal(same.p, 1);
    assert.equal(same.significant, false);
    const apart = npsDifference(counts(4, 0, 0), counts(0, 0, 3));
    assert.equal(apart.diff, 200);
    assert.equal(apart.p, 0);
    assert.equal(apart.significant, true);
  });
});

describe('pairedDifference', () => {
  it('matches a hand-computed example', () => {
    // Values before → after: −1→+1 (+2), 0→+1 (+1), +1→0 (−1), −1→−1 (0), +1→+1 (0).
    // Mean 0.4; deviations 1.6, 0.6, −1.4, −0.4, −0.4; variance 5.2 / 5 = 1.04;
    // se = sqrt(1.04 / 5) = sqrt(0.208).
    const r = pairedDifference([
      [6, 9],
      [8, 10],
      [10, 7],
      [3, 3],
      [9, 9],
    ]);
    const se = Math.sqrt(0.208);
    close(r.diff, 40, 9, 'diff');
    close(r.se, se, 12, 'se');
    close(r.z, 0.4 / se, 9, 'z');
    close(r.p, 0.38045512525, 9, 'p');
    close(r.low, 40 - 100 * Z95 * se, 9, 'low');
    close(r.high, 40 + 100 * Z95 * se, 9, 'high');
    assert.equal(r.significant, false);
  });

  it('a uniform improvement is certain', () => {
    const r = pairedDifference([
      [5, 9],
      [6, 10],
    ]);
    assert.equal(r.diff, 200);
    assert.equal(r.se, 0);
    assert.equal(r.significant, true);
  });

  it('no pairs gives nulls', () => {
    assert.equal(pairedDifference([]).diff, null);
  });
});

describe('helpers', () => {
  it('npsValue follows the category bands', () => {
    assert.deepEqual(
      [0, 6, 7, 8, 9, 10].map(npsValue),
      [-1, -1, 0, 0, 1, 1],
    );
    assert.throws(() => npsValue(11), RangeError);
    assert.throws(() => npsValue(7.5), RangeError);
    assert.throws(() => npsValue(NaN), RangeError);
  });

  it('countsFromScores tallies any iterable', () => {
    assert.deepEqual(countsFromScores([10, 9, 9, 8, 7, 6, 0]), counts(3, 2, 2));
    assert.deepEqual(countsFromScores(new Set<number>()), counts(0, 0, 0));
    function* gen() {
      yield 10;
      yield 3;
    }
    assert.deepEqual(countsFromScores(gen()), counts(1, 0, 1));
  });
});

describe('normal distribution', () => {
  it('matches known CDF values', () => {
    close(normalCdf(1.959964), 0.975, 7, 'Φ(1.959964)');
    // Z95 is itself rounded, so Φ(Z95) sits a hair above 0.975 (mpmath: 0.9750000009035576).
    assert.ok(Math.abs(normalCdf(1.959964) - 0.9750000009035576) < 1e-15);
    assert.equal(normalCdf(0), 0.5);
    close(normalCdf(-3), 0.0013499, 7, 'Φ(−3)');
    assert.ok(Math.abs(normalCdf(-3) / 0.0013498980316301 - 1) < 1e-12);
    assert.ok(Math.abs(normalCdf(3) - (1 - 0.0013498980316301)) < 1e-15);
  });

  it('keeps relative precision in the far tail', () => {
    // Reference from mpmath at 30 digits.
    assert.ok(Math.abs(twoSidedP(9.378) / 6.723595171e-21 - 1) < 1e-7, `p = ${twoSidedP(9.378)}`);
    assert.ok(twoSidedP(9.378) < 1e-6);
    assert.ok(Math.abs(erfc(5) / 1.5374597944280348502e-12 - 1) < 1e-14);
  });

  it('erfc is accurate across its branches', () => {
    // [x, erfc(x)] from mpmath; covers each of Cody's three ranges and negative x.
    const cases: Array<[number, number]> = [
      [0, 1],
      [0.3, 0.67137324054087258],
      [0.46875, 0.50738652678206201],
      [1, 0.15729920705028513],
      [2.5, 4.0695201744495894e-4],
      [4, 1.5417257900280019e-8],
      [10, 2.0884875837625448e-45],
      [-1, 1.8427007929497149],
      [-0.3, 1.3286267594591274],
    ];
    for (const [x, expected] of cases) {
      const actual = erfc(x);
      assert.ok(Math.abs(actual / expected - 1) < 1e-14, `erfc(${x}) = ${actual}, expected ${expected}`);
    }
  });

  it('twoSidedP is symmetric and bounded', () => {
    assert.equal(twoSidedP(0), 1);
    assert.equal(twoSidedP(-1.959964), twoSidedP(1.959964));
    close(twoSidedP(Z95), 0.05, 7, 'p at Z95');
    assert.equal(twoSidedP(Infinity), 0);
  });
});

it('a difference between two groups without variance is certain, with no z to report (JSON cannot carry an infinite one)', () => {
  const d = npsDifference({ promoters: 1, passives: 0, detractors: 0 }, { promoters: 0, passives: 0, detractors: 1 });
  assert.deepEqual([d.diff, d.se, d.z, d.p, d.significant], [200, 0, null, 0, true]);
  assert.equal(JSON.parse(JSON.stringify(d)).z, null);
  const same = npsDifference({ promoters: 2, passives: 0, detractors: 0 }, { promoters: 1, passives: 0, detractors: 0 });
  assert.deepEqual([same.diff, same.z, same.p, same.significant], [0, null, 1, false]);
});
