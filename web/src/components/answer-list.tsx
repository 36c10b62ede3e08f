import { categoryOf, fmtAgo, fmtDateTime } from '../format.ts';
import { profileHref } from '../routes.ts';

export interface AnswerItem {
  id: string;
  score: number;
  comment: string | null;
  channel: string;
  at: string;
  profileId?: string | null;
  who?: string | null;
  surveyId?: string | null;
  fresh?: boolean;
}

/**
 * Answers as people read them: score, the customer's own words, where and when. Comments are
 * the customer's text and only ever text (JSX children), never markup.
 */
export function AnswerList({ items, label, showPerson = true }: { items: AnswerItem[]; label: string; showPerson?: boolean }) {
  return (
    <ul class="answers" aria-label={label}>
      {items.map((a) => {
        const cat = categoryOf(a.score);
        return (
          <li key={a.id} class={a.fresh ? 'fresh' : undefined} data-answer-id={a.id}>
            <span class={`score ${cat}`} aria-label={`Score ${a.score} (${cat})`}>{a.score}</span>
            <div class="body">
              {a.comment ? <p class="comment">{a.comment}</p> : <p class="comment muted">No comment</p>}
              <div class="meta">
                {showPerson && a.profileId && <a href={profileHref(a.profileId)}>{a.who || 'Open person'}</a>}
                <span>{a.channel}</span>
                {a.surveyId && <span>{a.surveyId}</span>}
                <time dateTime={a.at} title={fmtDateTime(a.at)}>{fmtAgo(a.at)}</time>
              </div>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
