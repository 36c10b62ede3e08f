import type { ComponentChildren } from 'preact';
import { useMemo, useState } from 'preact/hooks';
import { api, ApiError, explain } from '../api.ts';
import { BASE } from '../links.ts';
import { BUILT_IN_LANGUAGES, defaultsOf, emailPreview, emptyWording, inputOf, renderDraft, type Draft, type PerCategory, type Wording } from '../survey-draft.ts';
import { useCan, useSession } from '../session.ts';
import type { Condition, ContactPolicy, SurveyReply, SurveyView } from '../types.ts';
import { useApi } from '../use-api.ts';
import { ConditionsEditor } from './conditions.tsx';
import { EmailPreview, WidgetPreview } from './survey-preview.tsx';

const CATEGORIES: Array<[keyof PerCategory, string]> = [['promoter', 'Promoters (9–10)'], ['passive', 'Passives (7–8)'], ['detractor', 'Detractors (0–6)']];

/**
 * Creating and editing a survey: wording per language, channels and send settings and targeting,
 * with the widget and the email previewed as they will look. The fatigue policy is the workspace's
 * (Settings); the form says what it is and links there.
 */
export function SurveyEditor({ initial, surveyId, onSaved }: { initial: Draft; surveyId?: string; onSaved(s: SurveyView): void }) {
  const { workspace } = useSession();
  const canEdit = useCan('analyst');
  const [draft, setDraft] = useState<Draft>(initial);
  const [lang, setLang] = useState(initial.defaultLanguage);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [preview, setPreview] = useState<'widget' | 'email'>('widget');

  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const wording = draft.texts[lang] ?? emptyWording();
  const setWording = (patch: Partial<Wording>) => setDraft((d) => ({ ...d, texts: { ...d.texts, [lang]: { ...(d.texts[lang] ?? emptyWording()), ...patch } } }));
  const channels = draft.channels;
  const setChannel = <K extends keyof Draft['channels']>(k: K, patch: Partial<Draft['channels'][K]>) => set({ channels: { ...channels, [k]: { ...channels[k], ...patch } } });

  const rendered = useMemo(() => renderDraft(draft, lang, workspace.name), [draft, lang, workspace.name]);
  const defaults = useMemo(() => defaultsOf(draft, lang, workspace.name), [draft.companyName, draft.csat, draft.ces, lang, workspace.name]);
  const email = useMemo(() => (preview === 'email' ? emailPreview(draft, lang, workspace.name) : null), [draft, lang, workspace.name, preview]);
  const languages = [...new Set([draft.defaultLanguage, ...Object.keys(draft.texts), ...BUILT_IN_LANGUAGES])];

  async function save(e: Event) {
    e.preventDefault();
    setSaving(true);
    setError(null);
    try {
      const body = inputOf(draft);
      const r = surveyId
        ? await api<SurveyReply>(`/api/v1/surveys/${encodeURIComponent(surveyId)}`, { method: 'PUT', body })
        : await api<SurveyReply>('/api/v1/surveys', { method: 'POST', body });
      onSaved(r.survey);
    } catch (err) {
      setError({ message: explain(err, 'analyst'), field: err instanceof ApiError ? err.field : undefined });
    } finally {
      setSaving(false);
    }
  }

  const text = (id: string, label: string, value: string, onInput: (v: string) => void, placeholder?: string, hint?: ComponentChildren, multiline = false) => (
    <div class="field">
      <label for={id}>{label}</label>
      {multiline
        ? <textarea id={id} value={value} placeholder={placeholder} disabled={!canEdit} onInput={(e) => onInput(e.currentTarget.value)} />
        : <input id={id} value={value} placeholder={placeholder} disabled={!canEdit} onInput={(e) => onInput(e.currentTarget.value)} />}
      {hint && <div class="hint">{hint}</div>}
    </div>
  );
  const num = (id: string, label: string, value: number, onInput: (v: number) => void, opts: { min?: number; max?: number; step?: number; hint?: string } = {}) => (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="number" value={value} min={opts.min} max={opts.max} step={opts.step ?? 1} disabled={!canEdit} onInput={(e) => {
        const v = Number(e.currentTarget.value);
        if (e.currentTarget.value !== '' && Number.isFinite(v)) onInput(v);
      }} />
      {opts.hint && <div class="hint">{opts.hint}</div>}
    </div>
  );
  const check = (id: string, label: string, value: boolean, onChange: (v: boolean) => void) => (
    <label class="inline" for={id}><input id={id} type="checkbox" checked={value} disabled={!canEdit} onChange={(e) => onChange(e.currentTarget.checked)} /> {label}</label>
  );
  const list = (v: string[]) => v.join(', ');
  const unlist = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);

  return (
    <form onSubmit={save} aria-label={surveyId ? 'Edit survey' : 'New survey'}>
      <p class="show-narrow small"><a href="#h-preview">See the preview</a> (below the form on a narrow screen)</p>
      {!canEdit && <div class="notice"><p>You can read this survey; changing it needs the analyst or admin role.</p></div>}
      {error && <div class="notice error" role="alert"><h3>Not saved</h3><p>{error.message}</p></div>}
      <div class="cols-2">
        <div>
          <fieldset>
            <legend>Survey</legend>
            {text('s-name', 'Name', draft.name, (v) => set({ name: v }), 'Post-purchase NPS', 'For you; respondents do not see it.')}
            <div class="form-grid">
              <div class="field">
                <label for="s-status">Status</label>
                <select id="s-status" value={draft.status} disabled={!canEdit} onChange={(e) => set({ status: e.currentTarget.value as Draft['status'] })}>
                  <option value="active">Active: asks people</option>
                  <option value="paused">{surveyId ? 'Paused: asks nobody' : 'Draft: asks nobody yet'}</option>
                  {surveyId && <option value="archived">Archived</option>}
                </select>
              </div>
              {text('s-company', 'Company name', draft.companyName ?? '', (v) => set({ companyName: v }), workspace.name, 'Replaces {company} in the wording.')}
              <div class="field">
                <label for="s-color">Brand colour</label>
                <input id="s-color" type="color" value={draft.brandColor} disabled={!canEdit} onInput={(e) => set({ brandColor: e.currentTarget.value })} />
              </div>
              <div class="field">
                <label for="s-default-lang">Default language</label>
                <select id="s-default-lang" value={draft.defaultLanguage} disabled={!canEdit} onChange={(e) => set({ defaultLanguage: e.currentTarget.value })}>
                  {languages.map((l) => <option key={l} value={l}>{l}</option>)}
                </select>
              </div>
            </div>
          </fieldset>

          <fieldset>
            <legend>Wording</legend>
            <div class="field">
              <label for="s-lang">Language to edit and preview</label>
              <select id="s-lang" value={lang} onChange={(e) => setLang(e.currentTarget.value)}>
                {languages.map((l) => <option key={l} value={l}>{l}{draft.texts[l] ? '' : ' (built-in wording)'}</option>)}
              </select>
              <div class="hint">Leave a field blank for the built-in wording, shown greyed out.</div>
            </div>
            {text('s-question', 'NPS question', wording.question, (v) => setWording({ question: v }), defaults.nps.question, undefined, true)}
            <div class="form-grid">
              {text('s-low', 'Label at 0', wording.lowLabel, (v) => setWording({ lowLabel: v }), defaults.nps.lowLabel)}
              {text('s-high', 'Label at 10', wording.highLabel, (v) => setWording({ highLabel: v }), defaults.nps.highLabel)}
            </div>
            <h3>The “why” question</h3>
            {CATEGORIES.map(([c, label]) => text(`s-follow-${c}`, label, wording.followUp[c], (v) => setWording({ followUp: { ...wording.followUp, [c]: v } }), defaults.followUp[c]))}
            <h3>Thank you</h3>
            {CATEGORIES.map(([c, label]) => text(`s-thanks-${c}`, label, wording.thankYou[c], (v) => setWording({ thankYou: { ...wording.thankYou, [c]: v } }), defaults.thankYou[c]))}
            <div class="row" style={{ marginBottom: '.75rem' }}>
              {check('s-csat', 'Also ask satisfaction (CSAT, 1–5)', draft.csat, (v) => set({ csat: v }))}
              {check('s-ces', 'Also ask effort (CES, 1–7)', draft.ces, (v) => set({ ces: v }))}
            </div>
            {draft.csat && text('s-csat-q', 'CSAT question', wording.csatQuestion, (v) => setWording({ csatQuestion: v }), defaults.csat?.question)}
            {draft.ces && text('s-ces-q', 'CES question', wording.cesQuestion, (v) => setWording({ cesQuestion: v }), defaults.ces?.question)}
            {text('s-subject', 'Email subject', wording.emailSubject, (v) => setWording({ emailSubject: v }), undefined, 'Blank: the built-in subject for this language.')}
            <div class="form-grid">
              {text('s-promoter-url', 'Link for promoters (URL)', draft.promoterLink?.url ?? '', (v) => set({ promoterLink: v.trim() ? { url: v, label: draft.promoterLink?.label || 'Leave a review' } : null }), 'https://reviews.example/you')}
              {text('s-promoter-label', 'Its label', draft.promoterLink?.label ?? '', (v) => set({ promoterLink: draft.promoterLink ? { ...draft.promoterLink, label: v } : null }), 'Leave a review')}
            </div>
          </fieldset>

          <fieldset>
            <legend>Channels and sending</legend>
            <div class="stack">
              {check('c-web', 'Web widget', channels.web.enabled, (v) => setChannel('web', { enabled: v }))}
              {channels.web.enabled && (
                <div class="form-grid">
                  {num('c-web-delay', 'Show after (seconds)', channels.web.delaySeconds, (v) => setChannel('web', { delaySeconds: v }), { min: 0, max: 3600 })}
                  {text('c-web-event', 'Only right after event', channels.web.onEvent ?? '', (v) => setChannel('web', { onEvent: v.trim() || null }), 'Order Completed')}
                  {text('c-web-url', 'Only on URLs containing', list(channels.web.urlContains), (v) => setChannel('web', { urlContains: unlist(v) }), '/checkout, /account', 'Comma-separated; blank: every page.')}
                  {text('c-web-url-not', 'Never on URLs containing', list(channels.web.urlExcludes), (v) => setChannel('web', { urlExcludes: unlist(v) }), '/admin')}
                </div>
              )}
              {check('c-app', 'In-app', channels.app.enabled, (v) => setChannel('app', { enabled: v }))}
              {check('c-email', 'Email', channels.email.enabled, (v) => setChannel('email', { enabled: v }))}
              {check('c-sms', 'SMS', channels.sms.enabled, (v) => setChannel('sms', { enabled: v }))}
              {check('c-link', 'Links and QR codes', channels.link.enabled, (v) => setChannel('link', { enabled: v }))}
              {check('c-kiosk', 'Kiosk', channels.kiosk.enabled, (v) => setChannel('kiosk', { enabled: v }))}
            </div>
            <h3 style={{ marginTop: '1rem' }}>After an event</h3>
            {draft.triggers.map((t, i) => (
              <div class="form-grid" key={i} role="group" aria-label={`Trigger ${i + 1}`}>
                {text(`t-event-${i}`, 'Event', t.event, (v) => set({ triggers: draft.triggers.map((x, j) => (j === i ? { ...x, event: v } : x)) }), 'Order Delivered')}
                {num(`t-delay-${i}`, 'Hours later', t.delayHours, (v) => set({ triggers: draft.triggers.map((x, j) => (j === i ? { ...x, delayHours: v } : x)) }), { min: 0 })}
                <div class="field">
                  <label for={`t-channel-${i}`}>By</label>
                  <select id={`t-channel-${i}`} value={t.channel} disabled={!canEdit} onChange={(e) => set({ triggers: draft.triggers.map((x, j) => (j === i ? { ...x, channel: e.currentTarget.value as 'email' | 'sms' } : x)) })}>
                    <option value="email">email</option><option value="sms">SMS</option>
                  </select>
                </div>
                <div class="field" style={{ alignSelf: 'end' }}><button type="button" disabled={!canEdit} onClick={() => set({ triggers: draft.triggers.filter((_, j) => j !== i) })}>Remove trigger</button></div>
              </div>
            ))}
            <button type="button" disabled={!canEdit} onClick={() => set({ triggers: [...draft.triggers, { event: 'Order Delivered', delayHours: 72, channel: 'email' }] })}>Add trigger</button>
            <h3 style={{ marginTop: '1rem' }}>On a schedule</h3>
            {check('s-schedule', 'Ask the audience again every few days', !!draft.schedule, (v) => set({ schedule: v ? { everyDays: 91, channel: 'email' } : null }))}
            {draft.schedule && (
              <div class="form-grid">
                {num('s-every', 'Every (days)', draft.schedule.everyDays, (v) => set({ schedule: { ...draft.schedule!, everyDays: v } }), { min: 1, max: 3650, hint: '91: quarterly' })}
                <div class="field">
                  <label for="s-schedule-channel">By</label>
                  <select id="s-schedule-channel" value={draft.schedule.channel} disabled={!canEdit} onChange={(e) => set({ schedule: { ...draft.schedule!, channel: e.currentTarget.value as 'email' | 'sms' } })}>
                    <option value="email">email</option><option value="sms">SMS</option>
                  </select>
                </div>
              </div>
            )}
            {num('s-ttl', 'Emailed and texted links valid for (days)', draft.tokenTtlDays, (v) => set({ tokenTtlDays: v }), { min: 1, max: 365 })}
          </fieldset>

          <fieldset>
            <legend>Who is asked</legend>
            <ConditionsEditor idPrefix="target" value={draft.targeting as Condition[]} disabled={!canEdit} onChange={(v) => set({ targeting: v as Draft['targeting'] })} />
            <div class="form-grid" style={{ marginTop: '.75rem' }}>
              {num('s-sample', 'Share asked (%)', Math.round(draft.sampleRate * 1000) / 10, (v) => set({ sampleRate: Math.min(1, Math.max(0, v / 100)) }), { min: 0, max: 100, step: 0.1, hint: 'Decided per person, so the same people stay in the sample.' })}
              {num('s-recontact', 'Ask the same person again after (days)', draft.recontactDays, (v) => set({ recontactDays: v }), { min: 0, max: 3650 })}
            </div>
            <FatiguePolicy />
          </fieldset>
          {canEdit && <button class="primary" type="submit" disabled={saving || !draft.name.trim()}>{saving ? 'Saving…' : surveyId ? 'Save changes' : 'Create survey'}</button>}
        </div>

        <section class="panel" aria-labelledby="h-preview" style={{ alignSelf: 'start', position: 'sticky', top: '1rem' }}>
          <h2 id="h-preview">Preview</h2>
          <nav class="tabs" aria-label="Preview">
            <a href="#widget" aria-current={preview === 'widget' ? 'page' : undefined} onClick={(e) => { e.preventDefault(); setPreview('widget'); }}>Web widget</a>
            <a href="#email" aria-current={preview === 'email' ? 'page' : undefined} onClick={(e) => { e.preventDefault(); setPreview('email'); }}>Email</a>
          </nav>
          {preview === 'widget' ? <WidgetPreview survey={rendered} /> : email && <EmailPreview subject={email.subject} html={email.html} />}
        </section>
      </div>
    </form>
  );
}

/** The workspace's contact budget, which every survey shares: said here because it decides who is asked, set in Settings. */
function FatiguePolicy() {
  const admin = useCan('admin');
  const policy = useApi<ContactPolicy>('/api/v1/settings/contact-policy');
  if (policy.error) return <p class="small muted">Fatigue policy: {explain(policy.error, 'admin')}</p>;
  if (!policy.data) return null;
  const { maxSurveys, perDays } = policy.data;
  return (
    <div class="notice" style={{ marginTop: '.5rem' }}>
      <h3>Fatigue policy (all surveys)</h3>
      <p class="small">Nobody is asked more than <strong>{maxSurveys}</strong> time{maxSurveys === 1 ? '' : 's'} in <strong>{perDays}</strong> days, whatever the survey or channel.</p>
      <p class="small">{admin ? <a href={`${BASE}/settings#fatigue`}>Change the fatigue policy in Settings</a> : 'Admins change it in Settings.'}</p>
    </div>
  );
}
