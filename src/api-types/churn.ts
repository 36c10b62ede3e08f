import { Type } from '@sinclair/typebox';
import { MAX_CHURN_DAYS } from '../domain/churn.ts';
import { Nullable } from './nullable.ts';

// Replies of the churn-risk routes (src/http/churn.ts) and the churn definition setting.

const Num = Nullable(Type.Number());

/** Who counts as churned: the setting (GET and PUT /api/v1/settings/churn) and what a model learnt. */
export const ChurnDefinition = Type.Object({
  inactiveDays: Type.Integer({ minimum: 1, maximum: MAX_CHURN_DAYS, description: 'No order for this many days counts as churned' }),
  event: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Null()], { description: 'A track event that means the customer left (e.g. Subscription Cancelled), or null' }),
}, { additionalProperties: false });
export const ChurnSettings = Type.Object({ churn: ChurnDefinition, defaults: ChurnDefinition });

const Definition = Type.Object({ inactiveDays: Type.Integer(), event: Nullable(Type.String()) });
const Coefficient = Type.Object({
  feature: Type.String(),
  name: Type.String({ description: 'The feature in plain words' }),
  effect: Type.String({ description: 'Which way it moves the risk, in a sentence ("More time since the last order raises the risk")' }),
  coefficient: Type.Number({ description: 'Log-odds of churning per standard deviation of the feature (positive raises risk)' }),
  oddsRatio: Type.Number({ description: 'e^coefficient: how the odds of churning multiply per standard deviation' }),
  mean: Type.Number(), sd: Type.Number(),
});
export const ModelView = Type.Object({
  id: Type.String(),
  trainedAt: Type.String(),
  definition: Definition,
  definitionChanged: Type.Boolean({ description: 'The workspace\'s churn definition changed since this model was trained: retrain to follow it' }),
  auc: Nullable(Type.Number(), {
    description: 'Out-of-sample area under the ROC curve (0.5 is chance, 1 perfect): each customer scored by a model trained without them (4-fold cross-validation); null when no fold had both outcomes',
  }),
  aucInterval: Nullable(Type.Object({ se: Type.Number(), low: Type.Number(), high: Type.Number() }), { description: '95% interval of the AUC (Hanley–McNeil)' }),
  folds: Type.Array(Type.Object({ n: Type.Integer(), churned: Type.Integer(), auc: Num }), { description: 'Each held-out quarter (by a hash of the userId, else the profile id), tested on a model trained on the other three' }),
  baseRate: Type.Number({ description: 'Share of the labelled customers who churned' }),
  customers: Type.Integer({ description: 'Customers active at the cutoff, each labelled churned or stayed; the model is fitted on all of them' }),
  churned: Type.Integer(),
  cutoff: Type.String({ description: 'Features are as of this time; labels come from the inactiveDays after it' }),
  scored: Type.Integer({ description: 'Customers active at training time, each given a risk' }),
  trainingMs: Type.Integer(),
  converged: Type.Boolean(),
  intercept: Type.Number(),
  coefficients: Type.Array(Coefficient, { description: 'Largest effect first' }),
});
const ModelRef = Type.Object({ id: Type.String(), trainedAt: Type.String(), auc: Num });
const NoModelReason = Type.Optional(Type.String({ description: 'When model is null: why there is no model yet, and how to get one' }));

export const ChurnModelReply = Type.Object({
  model: Nullable(ModelView), reason: NoModelReason,
  history: Type.Array(Type.Object({ id: Type.String(), trainedAt: Type.String(), auc: Num, baseRate: Type.Number(), customers: Type.Integer() })),
});

export const ChurnFactor = Type.Object({
  text: Type.String({ description: 'The reason as a CX lead would say it, money in the workspace currency ("Hasn\'t ordered in 3 months")' }),
  feature: Type.String(),
  contribution: Type.Number({ description: 'Log-odds added compared with the average customer: positive in factors, negative in lowering' }),
});
const Factors = Type.Array(ChurnFactor, { description: 'Up to three things that raise this person\'s risk most, largest first' });
const Lowering = Type.Array(ChurnFactor, { description: 'Up to two things that lower this person\'s risk most' });

const AtRiskItem = Type.Object({
  profileId: Type.String(), email: Nullable(Type.String()), name: Nullable(Type.String()),
  risk: Type.Number({ description: 'Probability of churning in the next inactiveDays, 0–1' }),
  factors: Factors,
  lowering: Lowering,
  scoredAt: Type.String(),
});
export const AtRiskPage = Type.Object({ model: Nullable(ModelRef), reason: NoModelReason, items: Type.Array(AtRiskItem), nextCursor: Nullable(Type.String()) });

export const ChurnRisk = Type.Object({
  profileId: Type.String(), model: Nullable(ModelRef, { description: 'Null while the workspace has no model yet' }),
  risk: Nullable(Type.Number()), factors: Factors, lowering: Lowering, scoredAt: Nullable(Type.String()),
  status: Type.Union([Type.Literal('scored'), Type.Literal('not-scored')]),
  reason: Nullable(Type.String(), { description: 'Why a person has no risk' }),
});
