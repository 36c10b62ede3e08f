import { useState } from 'preact/hooks';
import type { Condition } from '../types.ts';

type Op = Condition['op'];
const OPS: Array<[Op, string]> = [
  ['eq', 'is'], ['neq', 'is not'], ['gt', '>'], ['gte', '≥'], ['lt', '<'], ['lte', '≤'], ['contains', 'contains'], ['in', 'is one of'], ['exists', 'is set'], ['not_exists', 'is not set'],
];
export const FIELDS = ['traits.plan', 'orderCount', 'lifetimeRevenue', 'daysSinceLastOrder', 'tenureDays', 'journeyStage', 'latestNpsScore', 'latestNpsCategory'];

/** Values as typed: numbers where they look like numbers, lists for "is one of". */
function parseValue(op: string, text: string): unknown {
  const one = (s: string) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s.trim());
  if (op === 'in') return text.split(',').map(one).filter((v) => v !== '');
  if (op === 'exists' || op === 'not_exists') return undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  return one(text);
}
const showValue = (v: unknown) => (Array.isArray(v) ? v.join(', ') : v == null ? '' : String(v));

/** Conditions over traits, computed traits and NPS, all of which must hold (survey targeting, runs). */
export function ConditionsEditor({ value, onChange, idPrefix, disabled }: { value: Condition[]; onChange(v: Condition[]): void; idPrefix: string; disabled?: boolean }) {
  // Values are kept as typed ("1." on the way to "1.5"), and parsed for the parent on every change.
  const [rows, setRows] = useState(() => value.map((c) => ({ field: c.field, op: c.op, text: showValue(c.value) })));
  const emit = (next: typeof rows) => {
    setRows(next);
    onChange(next.map((r) => ({ field: r.field, op: r.op, value: parseValue(r.op, r.text) })));
  };
  const update = (i: number, patch: Partial<(typeof rows)[number]>) => emit(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <div class="conditions">
      <datalist id={`${idPrefix}-fields`}>{FIELDS.map((f) => <option key={f} value={f} />)}</datalist>
      {rows.length === 0 && <p class="small muted">Everyone: no conditions.</p>}
      {rows.map((c, i) => (
        <div class="cond" key={i} role="group" aria-label={`Condition ${i + 1}`}>
          <input aria-label="Field" list={`${idPrefix}-fields`} value={c.field} disabled={disabled} onInput={(e) => update(i, { field: e.currentTarget.value })} />
          <select aria-label="Operator" value={c.op} disabled={disabled} onChange={(e) => update(i, { op: e.currentTarget.value as Op })}>
            {OPS.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
          </select>
          <input aria-label="Value" value={c.text} placeholder={c.op === 'in' ? 'a, b, c' : undefined} disabled={disabled || c.op === 'exists' || c.op === 'not_exists'} onInput={(e) => update(i, { text: e.currentTarget.value })} />
          <button type="button" disabled={disabled} aria-label={`Remove condition ${i + 1}`} onClick={() => emit(rows.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" disabled={disabled} onClick={() => emit([...rows, { field: 'traits.plan', op: 'eq', text: '' }])}>Add condition</button>
    </div>
  );
}
