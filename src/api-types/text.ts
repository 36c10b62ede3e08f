import { Type } from '@sinclair/typebox';

// Requests and replies of the text routes (src/http/text.ts).

export const MAX_TEXTS = 100;
export const MAX_TEXT_LENGTH = 10_000;

export const AnalyzeRequest = Type.Object({
  texts: Type.Array(Type.String({ maxLength: MAX_TEXT_LENGTH }), { minItems: 1, maxItems: MAX_TEXTS, description: `Up to ${MAX_TEXTS} texts of up to ${MAX_TEXT_LENGTH} characters` }),
}, { additionalProperties: false });

const Label = Type.Union([Type.Literal('negative'), Type.Literal('neutral'), Type.Literal('positive')]);
export const SentimentReply = Type.Object({
  label: Label,
  score: Type.Number({ description: '−1 (negative) … +1 (positive)' }),
});

export const MentionReply = Type.Object({
  start: Type.Integer({ description: 'Offset of the mention in the text (UTF-16 code units, as JavaScript counts)' }),
  end: Type.Integer(),
  text: Type.String(),
  sentiment: SentimentReply,
});

export const TextAnalysisReply = Type.Object({
  sentiment: SentimentReply,
  themes: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), mentions: Type.Array(MentionReply) })),
});

export const AnalyzeReply = Type.Object({
  items: Type.Array(TextAnalysisReply, { description: 'One per text, in the order sent' }),
  taxonomyVersion: Type.Integer(),
  model: Type.Union([Type.Literal('lexicon')], { description: 'What scored sentiment: the lexicon (the workspace model comes with trained models)' }),
});
