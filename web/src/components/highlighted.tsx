import type { TextAnalysis } from '../types.ts';

/**
 * A comment with the words that put it under a theme marked, each mark saying which theme and
 * how the customer felt about it. The comment is the customer's text and stays text: pieces of
 * it are JSX children, never markup. Offsets that do not fit the comment (edited since it was
 * analysed) leave it unmarked.
 */
export function Highlighted({ comment, text }: { comment: string; text?: TextAnalysis | null }) {
  const marks = (text?.themes ?? [])
    .flatMap((t) => t.mentions.map((m) => ({ start: m.start, end: m.end, theme: t.name, sentiment: m.sentiment.label })))
    .filter((m) => Number.isInteger(m.start) && Number.isInteger(m.end) && m.start >= 0 && m.end <= comment.length && m.start < m.end)
    .sort((a, b) => a.start - b.start || b.end - a.end);
  if (!marks.length) return <>{comment}</>;
  const pieces: Array<string | preact.JSX.Element> = [];
  let at = 0;
  for (const m of marks) {
    if (m.start < at) continue; // overlaps the one before
    if (m.start > at) pieces.push(comment.slice(at, m.start));
    pieces.push(
      <mark key={m.start} class={`theme-mark ${m.sentiment}`} title={`${m.theme} (${m.sentiment})`}>
        {comment.slice(m.start, m.end)}
        <span class="visually-hidden"> ({m.theme}, {m.sentiment})</span>
      </mark>,
    );
    at = m.end;
  }
  if (at < comment.length) pieces.push(comment.slice(at));
  return <>{pieces}</>;
}
