import type { AnswerText } from '../store/answer-texts.ts';

/** A stored analysis as the API and the live feed show it: theme names, and each mention's words read off the comment. */
export function textView(comment: string, t: AnswerText, themeName: (id: string) => string) {
  return {
    sentiment: { label: t.sentiment, score: t.score },
    themes: t.themes.map((h) => ({ id: h.id, name: themeName(h.id), mentions: h.mentions.map((m) => ({ ...m, text: comment.slice(m.start, m.end) })) })),
  };
}
