import { useState } from 'preact/hooks';
import { activeFilterCount, RANGES, useFilters, workspaceDate } from '../filters.ts';
import { dimensionValueLabel } from '../../../src/domain/dimension-labels.ts';
import { fmtInt } from '../format.ts';
import type { DimensionList, SegmentList, SurveyList, TaxonomyReply, TraitList, TraitSummary } from '../types.ts';
import { useShared } from '../use-api.ts';

/**
 * Time, survey, channel, journey stage, segment and trait: the filters every insight page takes.
 * They live in the URL (see filters.ts); this only edits them.
 */
/** `survey={false}` on a survey's own page, where the survey is given and a second choice of it would contradict the page. */
export function FilterBar({ time = true, survey = true }: { time?: boolean; survey?: boolean }) {
  const { filters, set } = useFilters();
  const dims = useShared<DimensionList>('/api/v1/metrics/dimensions');
  const surveys = useShared<SurveyList>('/api/v1/surveys');
  const segments = useShared<SegmentList>('/api/v1/segments');
  const traits = useShared<TraitList>('/api/v1/traits');
  const taxonomy = useShared<TaxonomyReply>('/api/v1/themes');
  const themeName = (id: string) => taxonomy.data?.themes.find((t) => t.id === id)?.name ?? id;
  const values = (name: string) => dims.data?.items.find((d) => d.name === name)?.values ?? [];
  const labelled = (name: string): Array<[string, string]> => values(name).map((v) => [v, dimensionValueLabel(name, v)]);
  // Survey ids seen on answers (imports, the demo) as well as the surveys defined here.
  const surveyOptions = new Map<string, string>();
  for (const s of surveys.data?.items ?? []) surveyOptions.set(s.id, s.name);
  for (const v of values('survey')) if (!surveyOptions.has(v)) surveyOptions.set(v, v);
  const [open, setOpen] = useState(false);
  const [traitName, setTraitName] = useState('');
  const [traitValue, setTraitValue] = useState('');

  const select = (id: string, label: string, key: string, current: string | null, options: Array<[string, string]>) => (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} value={current ?? ''} onChange={(e) => set({ [key]: e.currentTarget.value || null })}>
        <option value="">All</option>
        {current && !options.some(([v]) => v === current) && <option value={current}>{current}</option>}
        {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
      </select>
    </div>
  );

  const count = activeFilterCount(filters);
  return (
    <>
    {/* On a phone the filters fold away behind one button, which says how many are on. */}
    <button type="button" class="filters-toggle" aria-expanded={open} aria-controls="filters" onClick={() => setOpen(!open)}>
      Filters{count ? ` (${count} on)` : ''} · {filters.range === 'custom' ? `${filters.from ?? '…'} to ${filters.to ?? '…'}` : RANGES.find((r) => r.id === filters.range)?.label}
    </button>
    <form id="filters" class={`filters${open ? ' open' : ''}`} aria-label="Filters" onSubmit={(e) => {
      e.preventDefault();
      if (traitName && traitValue) {
        set({ [`trait.${traitName}`]: traitValue });
        setTraitName('');
        setTraitValue('');
      }
    }}>
      {time && (
        <div class="field">
          <label for="f-range">Time</label>
          <select id="f-range" value={filters.range} onChange={(e) => {
            const v = e.currentTarget.value;
            if (v === 'custom') {
              const today = workspaceDate(filters.timeZone);
              const start = workspaceDate(filters.timeZone, 89);
              set({ range: null, from: filters.from ?? start, to: filters.to ?? today });
            } else set({ range: v, from: null, to: null });
          }}>
            {RANGES.map((r) => <option key={r.id} value={r.id}>{r.label}</option>)}
            <option value="custom">Dates…</option>
          </select>
        </div>
      )}
      {time && filters.range === 'custom' && (
        <>
          <div class="field">
            <label for="f-from">From</label>
            <input id="f-from" type="date" value={filters.from ?? ''} onChange={(e) => set({ from: e.currentTarget.value || null })} />
          </div>
          <div class="field">
            <label for="f-to">To (inclusive)</label>
            <input id="f-to" type="date" value={filters.to ?? ''} onChange={(e) => set({ to: e.currentTarget.value || null })} />
          </div>
        </>
      )}
      {survey && select('f-survey', 'Survey', 'surveyId', filters.surveyId, [...surveyOptions])}
      {select('f-channel', 'Channel', 'channel', filters.channel, labelled('channel'))}
      {select('f-stage', 'Journey stage', 'stage', filters.stage, labelled('stage'))}
      {select('f-segment', 'Segment', 'segment', filters.segment, (segments.data?.items ?? []).map((s) => [s.id, s.name]))}
      {select('f-theme', 'Theme', 'theme', filters.theme, values('theme').map((v) => [v, themeName(v)]))}
      {select('f-sentiment', 'Comment sentiment', 'sentiment', filters.sentiment, labelled('sentiment'))}
      <TraitPicker traits={traits.data?.items} name={traitName} value={traitValue} onName={(n) => {
        setTraitName(n);
        setTraitValue('');
      }} onValue={setTraitValue} />
      {Object.entries(filters.traits).map(([k, v]) => (
        <span class="chip" key={k}>
          {k} = {v}
          <button type="button" aria-label={`Remove filter ${k} = ${v}`} onClick={() => set({ [`trait.${k}`]: null })}>×</button>
        </span>
      ))}
    </form>
    </>
  );
}

/**
 * A trait filter chosen from the traits people who answered carry, and their values with how many
 * answers each keeps (GET /api/v1/traits), instead of names typed blind.
 */
function TraitPicker({ traits, name, value, onName, onValue }: {
  traits: TraitSummary[] | undefined; name: string; value: string; onName(n: string): void; onValue(v: string): void;
}) {
  const chosen = traits?.find((t) => t.name === name);
  const none = traits != null && traits.length === 0;
  return (
    <div class="trait-picker" role="group" aria-label="Trait filter">
      <div class="field">
        <label for="f-trait">Trait</label>
        <select id="f-trait" value={name} disabled={!traits || none} onChange={(e) => onName(e.currentTarget.value)}>
          <option value="">{!traits ? 'Loading…' : none ? 'No traits yet' : 'Choose…'}</option>
          {traits?.map((t) => <option key={t.name} value={t.name}>{t.name}</option>)}
        </select>
      </div>
      <div class="field">
        <label for="f-trait-value">is</label>
        <select id="f-trait-value" value={value} disabled={!chosen} onChange={(e) => onValue(e.currentTarget.value)}>
          <option value="">{chosen ? 'Choose…' : '–'}</option>
          {chosen?.values.map((v) => <option key={v.value} value={v.value}>{`${v.value} (${fmtInt(v.answers)} answers)`}</option>)}
        </select>
      </div>
      <button type="submit" disabled={!chosen || !value}>Add trait filter</button>
    </div>
  );
}
