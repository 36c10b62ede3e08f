import { dimensionValueLabel } from '../../../src/domain/dimension-labels.ts';
import { categoryOf, fmtAgo, fmtDateTime } from '../format.ts';
import { surveyHref } from '../links.ts';
import type { Answer, PersonNames, TextAnalysis } from '../types.ts';
import { Highlighted } from './highlighted.tsx';
import { PersonLink } from './person-link.tsx';

export interface AnswerItem {
  id: string;
  score: number;
  comment: string | null;
  channel: string;
  at: string;
  profileId?: string | null;
  person?: PersonNames | null;
  personLabel?: string | null;
  surveyId?: string | null;
  surveyTitle?: string | null;
  /** What the comment says (themes with offsets): highlighted in it. */
  text?: TextAnalysis | null;
  fresh?: boolean;
}

/** An answer of the API (GET /api/v1/answers) as the list shows it. */
export function answerItem(a: Answer): AnswerItem {
  return {
    id: a.id, score: a.score, comment: a.comment, channel: a.channel, at: a.answeredAt,
    profileId: a.profileId, person: a.person, personLabel: a.personLabel, surveyId: a.surveyId, surveyTitle: a.surveyTitle, text: a.text,
  };
}

/**
 * Answers as people read them: score, the customer's own words, who, where and when. Comments and
 * names are the customer's text and only ever text (JSX children), never markup.
 */
export function AnswerList({ items, label, showPerson = true, showSurvey = true }: { items: AnswerItem[]; label: string; showPerson?: boolean; showSurvey?: boolean }) {
  return (
    <ul class="answers" aria-label={label}>
      {items.map((a) => {
        const cat = categoryOf(a.score);
        return (
          <li key={a.id} class={a.fresh ? 'fresh' : undefined} data-answer-id={a.id}>
            <span class={`score ${cat}`} aria-label={`Score ${a.score} (${cat})`}>{a.score}</span>
            <div class="body">
              {a.comment ? <p class="comment"><Highlighted comment={a.comment} text={a.text} /></p> : <p class="comment muted">No comment</p>}
              <div class="meta">
                {showPerson && a.profileId && <PersonLink profileId={a.profileId} person={a.person} label={a.personLabel} />}
                <span>{dimensionValueLabel('channel', a.channel)}</span>
                {/* A survey that is not (or no longer) one of the workspace's has no page: its id, as text. */}
                {showSurvey && a.surveyId && (a.surveyTitle ? <a href={surveyHref(a.surveyId)}>{a.surveyTitle}</a> : <span>{a.surveyId}</span>)}
                <time dateTime={a.at} title={fmtDateTime(a.at)}>{fmtAgo(a.at)}</time>
              </div>
            </div>
          </li>
        );
      })}
    </ul>
  );
}
