import { evaluate } from '../domain/conditions.ts';
import type { Segment } from '../store/segments.ts';
import type { AnswerColumns } from './columns.ts';
import type { ProfileScan, ProfileValues } from './profile-scan.ts';

/**
 * Who is in a segment, as a byte per profile code of the answer columns, so a figure filtered by a
 * segment is one more array lookup per answer. Membership comes from a ProfileScan (kept a minute,
 * then refreshed in the background).
 */
interface Bits {
  from: ProfileValues<true>;
  bits: Uint8Array;
  /** Profile codes filled so far */
  coded: number;
}

export class SegmentMembers {
  private readonly bits = new Map<string, Bits>();

  constructor(private readonly scan: ProfileScan) {}

  /** Members by profile code of `cols`, and how many people are in the segment. */
  async of(segment: Segment, cols: AnswerColumns): Promise<{ people: Uint8Array; size: number }> {
    const members = await this.scan.of(segment.workspaceId, `segment:${segment.id}`, String(segment.updatedAt), (facts) => (evaluate(segment.conditions, facts).ok ? true : null));
    let b = this.bits.get(segment.id);
    if (!b || b.from !== members) this.bits.set(segment.id, (b = { from: members, bits: new Uint8Array(0), coded: 0 }));
    b.bits = byProfileCode(cols, members.values, b.bits, b.coded, (v) => (v ? 1 : 0), Uint8Array);
    b.coded = cols.profiles.labels.length;
    return { people: b.bits, size: members.values.size };
  }
}

/**
 * Extends `array` (a value per profile code of `cols`, filled up to `coded`) to every profile code
 * now known, growing it when needed.
 */
export function byProfileCode<T, A extends Uint8Array | Uint32Array>(
  cols: AnswerColumns,
  values: Map<string, T>,
  array: A,
  coded: number,
  toNumber: (value: T | undefined) => number,
  Make: { new (n: number): A },
): A {
  const labels = cols.profiles.labels;
  if (array.length < labels.length) {
    const bigger = new Make(Math.max(labels.length, array.length * 2, 1024));
    bigger.set(array.subarray(0, coded) as never);
    array = bigger;
  }
  for (let code = coded; code < labels.length; code++) array[code] = labels[code] == null ? 0 : toNumber(values.get(labels[code]!));
  return array;
}
