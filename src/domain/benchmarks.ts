/**
 * Published NPS benchmarks (STATS.md). Methods, samples and regions differ, so each figure travels
 * with its source, year and region, and none is presented as the truth.
 */
export interface Benchmark {
  industry: string;
  nps: number;
  /** 'average' for an industry mean; 'threshold' where the source gives a bound (≤ 30, ≥ 50). */
  kind: 'average' | 'at most' | 'at least';
  source: string;
  year: number;
  region: string;
}

const XM = { source: 'XM Institute, "Economics of NPS"', year: 2023, region: 'US consumers' };
const TEMKIN = { source: 'Temkin Group NPS benchmark', year: 2018, region: 'US' };
const GAUGE = { source: 'CustomerGauge', year: 2016, region: 'B2B' };
const FLOORWALK = { source: 'Industry table quoted by FloorWalk', year: 2025, region: 'not stated' };

export const BENCHMARKS: Benchmark[] = [
  { industry: 'retail', nps: 28, kind: 'average', ...XM },
  { industry: 'streaming', nps: 28, kind: 'average', ...XM },
  { industry: 'grocery', nps: 26, kind: 'average', ...XM },
  { industry: 'consumer payments', nps: 1, kind: 'average', ...XM },
  { industry: 'car rental', nps: 3, kind: 'average', ...XM },
  { industry: 'airlines', nps: 7, kind: 'average', ...XM },
  { industry: 'auto dealers', nps: 39, kind: 'average', ...TEMKIN },
  { industry: 'streaming', nps: 39, kind: 'average', ...TEMKIN },
  { industry: 'tv and internet', nps: 0, kind: 'average', ...TEMKIN },
  { industry: 'telecom', nps: 30, kind: 'at most', ...GAUGE },
  { industry: 'retail', nps: 50, kind: 'at least', ...GAUGE },
  { industry: 'logistics', nps: 50, kind: 'at least', ...GAUGE },
  { industry: 'wholesale', nps: 50, kind: 'at least', ...GAUGE },
  { industry: 'retail', nps: 50, kind: 'average', ...FLOORWALK },
  { industry: 'banking', nps: 35, kind: 'average', ...FLOORWALK },
  { industry: 'insurance', nps: 30, kind: 'average', ...FLOORWALK },
  { industry: 'telecom', nps: 25, kind: 'average', ...FLOORWALK },
];

export const INDUSTRIES = [...new Set(BENCHMARKS.map((b) => b.industry))].sort();

/** Where a workspace's interval stands against a published figure. */
export function compareToBenchmark(low: number, high: number, b: Benchmark): 'above' | 'below' | 'within' {
  if (low > b.nps) return 'above';
  if (high < b.nps) return 'below';
  return 'within';
}
