import { answerTextsOf } from '../store/answer-texts.ts';
import { answerView, type AnswerView } from '../store/answers.ts';
import type { Db } from '../store/db.ts';
import { peopleByProfile } from '../store/profiles.ts';
import type { AnswerTable } from '../store/schema.ts';
import { surveyTitles } from '../store/surveys.ts';
import { themeNamer, workspaceTaxonomy } from '../text/taxonomies.ts';
import { textView } from '../text/text-view.ts';

/** Answers as the API shows them, each with who answered and the survey's name: two or three queries for the whole list. */
export async function namedAnswers(db: Db, workspaceId: string, rows: Array<AnswerTable | AnswerView>) {
  const views = rows.map((r) => ('profile_id' in r ? answerView(r) : r));
  const [people, titles, texts, taxonomy] = await Promise.all([
    peopleByProfile(db, workspaceId, views.map((a) => a.profileId)),
    surveyTitles(db, workspaceId, views.map((a) => a.surveyId)),
    answerTextsOf(db, workspaceId, views.filter((a) => a.comment).map((a) => a.id)),
    workspaceTaxonomy(db, workspaceId),
  ]);
  const names = themeNamer(taxonomy);
  return views.map((a) => {
    const who = people.get(a.profileId)!;
    const t = texts.get(a.id);
    return { ...a, surveyTitle: a.surveyId ? titles.get(a.surveyId) ?? null : null, person: who.person, personLabel: who.label, text: t && a.comment ? textView(a.comment, t, names) : null };
  });
}
