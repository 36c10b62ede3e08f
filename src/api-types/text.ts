import { Type } from '@sinclair/typebox';
import { Nullable } from './nullable.ts';

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
  model: Nullable(Type.String(), { description: 'The workspace model that scored sentiment (GET /api/v1/text/model); null: the lexicon alone, before a model is trained' }),
});

const Recall = Type.Object({ negative: Type.Number(), neutral: Type.Number(), positive: Type.Number() });

export const TextModelReply = Type.Object({
  model: Nullable(Type.Object({
    id: Type.String(),
    trainedAt: Type.String(),
    examples: Type.Integer({ description: 'Comments learnt from (each labelled by its answer\'s category)' }),
    evaluation: Nullable(Type.Object({
      heldOut: Type.Integer({ description: 'Comments kept out of training to measure on (a fifth, per label)' }),
      accuracy: Type.Number({ description: 'Share of held-out comments whose label (negative 0-6, neutral 7-8, positive 9-10) the model got right' }),
      recall: Recall,
      lexiconAccuracy: Type.Number({ description: 'The lexicon alone on the same held-out comments' }),
      macroF1: Type.Optional(Type.Number({ description: 'Mean F1 over the three labels (models trained before it was reported lack it)' })),
      lexiconMacroF1: Type.Optional(Type.Number()),
      detractorVsPromoter: Type.Object({ model: Type.Number(), lexicon: Type.Number(), examples: Type.Integer() }, { description: 'Telling detractors\' comments from promoters\' (passives left out)' }),
    })),
  }), { description: 'Null until a model is trained: sentiment then comes from the lexicon' }),
  analysis: Type.Optional(Type.Object({
    comments: Type.Integer({ description: 'Answers with a comment' }),
    current: Type.Integer({ description: 'Of them, analysed by the current model and taxonomy: the rest are being read again in the background (after a retraining) or have just arrived' }),
  })),
  learning: Type.Optional(Type.Object({
    comments: Type.Object({ negative: Type.Integer(), neutral: Type.Integer(), positive: Type.Integer() }, { description: 'Commented answers by the label each teaches: detractors negative, passives neutral, promoters positive' }),
    needed: Type.Integer({ description: 'Comments of each label a model needs (POST /api/v1/text/model/train answers 409 below)' }),
    everyHours: Type.Number({ description: 'A model older than this is learnt again (ADVOCATE_TEXT_RETRAIN_HOURS); a workspace without one is looked at every five minutes until it has the comments' }),
  })),
});

export const ThemeView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  terms: Type.Array(Type.String(), { description: 'Words and phrases that mention it, matched whole by form or lemma' }),
  exclusions: Type.Array(Type.String(), { description: 'Phrases that cancel a match they overlap' }),
});

export const TaxonomyReply = Type.Object({
  version: Type.Integer({ description: 'The built-in themes carry the release\'s built-in version (GET /api/v1/themes/built-in); each edit makes the next' }),
  themes: Type.Array(ThemeView),
  analysis: Type.Optional(Type.Object({
    comments: Type.Integer(),
    current: Type.Integer({ description: 'Comments already sorted under this version (the rest are re-read in the background)' }),
  })),
});

export const MAX_THEMES = 64;
const Phrase = Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' });
export const ThemeInput = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$', description: 'Lower-case letters, digits, - and _, up to 40: what filters and exports name it by; keep an id to keep its history' }),
  name: Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' }),
  terms: Type.Array(Phrase, { minItems: 1, maxItems: 200, description: 'Words and phrases that mention it' }),
  exclusions: Type.Optional(Type.Array(Phrase, { maxItems: 100, description: 'Phrases that cancel a match they overlap' })),
}, { additionalProperties: false });

export const TaxonomyInput = Type.Object({
  themes: Type.Array(ThemeInput, { minItems: 1, maxItems: MAX_THEMES }),
  basedOn: Type.Optional(Type.Integer({ minimum: 1, description: 'The version this edit was made from: refused (409) if another has been saved since' })),
}, { additionalProperties: false });

export const AdoptInput = Type.Object({
  name: Type.Optional(Type.String({ maxLength: 80, description: 'The new theme\'s name (its id is made from it); not with into' })),
  terms: Type.Array(Phrase, { minItems: 1, maxItems: 200 }),
  into: Type.Optional(Type.String({ maxLength: 40, description: 'A theme to add the words to, instead of a new theme' })),
}, { additionalProperties: false });

export const TaxonomyVersions = Type.Object({
  items: Type.Array(Type.Object({ version: Type.Integer(), themes: Type.Integer(), createdAt: Type.String(), createdBy: Nullable(Type.String()) })),
  builtIn: Type.Integer({ description: 'The version of this release\'s built-in themes (GET /api/v1/themes/built-in), never stored' }),
});

/** One saved version, to read or to start an edit from (saving it again makes it the newest). */
export const TaxonomyVersionReply = Type.Object({
  version: Type.Integer(),
  themes: Type.Array(ThemeView),
  createdAt: Type.String(),
  createdBy: Nullable(Type.String()),
});

export const BuiltInTaxonomyReply = Type.Object({
  version: Type.Integer(),
  themes: Type.Array(ThemeView),
});
