import { Type } from '@sinclair/typebox';
import { Nullable } from './nullable.ts';
import { PersonNames } from './people.ts';
import { TextAnalysisReply } from './text.ts';

export const Answer = Type.Object({
  id: Type.String(), profileId: Type.String(), eventId: Type.String(), messageId: Type.String(),
  score: Type.Integer(), category: Type.String(), comment: Nullable(Type.String()), channel: Type.String(),
  surveyId: Nullable(Type.String()), surveyVersion: Nullable(Type.Integer()),
  csat: Nullable(Type.Integer()), ces: Nullable(Type.Integer()), contactId: Nullable(Type.String()),
  properties: Type.Record(Type.String(), Type.Unknown()),
  context: Type.Object({
    journeyStage: Nullable(Type.String()), daysSinceLastOrder: Nullable(Type.Integer()),
    daysSinceFirstSeen: Nullable(Type.Integer()), campaign: Nullable(Type.String()),
    utmSource: Nullable(Type.String()), device: Nullable(Type.String()),
  }),
  answeredAt: Type.String(), createdAt: Type.String(), updatedAt: Type.String(),
  surveyTitle: Nullable(Type.String(), { description: 'The name of the survey answered (null without one, or when it is not one of this workspace\'s surveys)' }),
  person: Nullable(PersonNames, { description: 'Who answered, as far as known (traits, then identities); null for an anonymous person. Untrusted text: show it as text.' }),
  personLabel: Type.String({ description: 'How to show who answered: name, else email, else phone, else userId, else "Anonymous" and a short id' }),
  text: Nullable(TextAnalysisReply, { description: 'What the comment was found to say: its sentiment and the themes it mentions, with offsets into the comment. Null without a comment, or for a moment after the answer arrived (it is analysed as it comes)' }),
});

export const AnswerPage = Type.Object({ items: Type.Array(Answer), nextCursor: Nullable(Type.String()) });

/** The data of one `answer` event of the live feed (GET /api/v1/live/answers, server-sent events). */
export const LiveAnswer = Type.Object({
  id: Type.String(),
  at: Type.String({ description: 'When answered, ISO 8601' }),
  score: Type.Integer(), category: Type.String(), comment: Nullable(Type.String()), channel: Type.String(),
  surveyId: Nullable(Type.String()),
  surveyTitle: Nullable(Type.String(), { description: 'The survey\'s name, when the answer names one of the workspace\'s surveys' }),
  profileId: Type.String(),
  person: Nullable(PersonNames, { description: 'Name, email and phone as known, null for an anonymous person' }),
  personLabel: Type.String({ description: 'How to show the person: name, else email, else phone, else userId, else "Anonymous" and a short id' }),
  name: Nullable(Type.String(), { description: 'person.name, as the feed carried it before person' }),
  email: Nullable(Type.String(), { description: 'person.email, as the feed carried it before person' }),
  text: Nullable(TextAnalysisReply, { description: 'The comment\'s analysis, as in GET /api/v1/answers: null without a comment, or while it is not analysed yet (an `analysis` event follows when it is)' }),
});

/**
 * The data of one `analysis` event of the live feed: the comment of an answer the feed announced
 * was analysed (again) since. Its `text` replaces that answer's.
 */
export const LiveAnalysis = Type.Object({
  id: Type.String({ description: 'The answer\'s id, as in its `answer` event' }),
  text: Nullable(TextAnalysisReply, { description: 'As in the `answer` event: null when the comment is gone and its analysis with it' }),
});
