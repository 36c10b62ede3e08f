// A churn-risk model as trained (analytics/churn-model.ts), stored (store/churn-models.ts) and read.

/** What a trained model needs to score someone; stored as JSON beside its metrics. */
export interface ChurnModel {
  /** FEATURES, then one "channel:<name>" per channel given its own coefficient */
  features: string[];
  channels: string[];
  /** Of the training rows, per feature: what standardising subtracts and divides by */
  means: number[];
  sds: number[];
  intercept: number;
  /** On the standardised scale: log-odds of churning per standard deviation of the feature */
  coefficients: number[];
}

export interface FoldMetrics {
  /** People in this fold, scored by a model trained on the other folds */
  n: number;
  churned: number;
  auc: number | null;
}

export interface ChurnMetrics {
  /**
   * Out-of-sample area under the ROC curve: every customer is scored by a model trained without
   * them (FOLDS-fold cross-validation), and the AUC is taken over all those scores. Null when no
   * fold had both outcomes on both sides.
   */
  auc: number | null;
  /** Its 95% interval (Hanley–McNeil) */
  aucInterval: { se: number; low: number; high: number } | null;
  folds: FoldMetrics[];
  /** Share of labelled customers who churned */
  baseRate: number;
  /** Customers active at the cutoff, each labelled churned or stayed; the model is fitted on all */
  customers: number;
  churned: number;
  /** Features are as of this time (ms); labels look at the inactiveDays after it */
  cutoff: number;
  iterations: number;
  converged: boolean;
}

export interface Factor {
  feature: string;
  /** Log-odds this adds to the person's risk compared with the average training customer: positive raises it */
  contribution: number;
  /** Worded at scoring time in the default currency; readers word it again from `facts` (analytics/churn-reasons.ts) */
  text: string;
  /** The person's values the text is worded from (absent on reasons stored before they were kept) */
  facts?: ReasonFacts;
}

export interface ProfileRisk {
  profileId: string;
  risk: number;
  /** What raises the risk most (positive contributions, largest first), then what lowers it most (most negative first) */
  factors: Factor[];
}

/**
 * The person's own values a reason is worded from, as of scoring. Kept with each stored reason so
 * that it is worded when read: in the workspace's currency then, and with "last week" still true
 * days after the model was trained.
 */
export interface ReasonFacts {
  score?: number;
  previousScore?: number;
  daysSinceAnswer?: number;
  daysSinceOrder?: number;
  orders?: number;
  revenue?: number;
  tenureDays?: number;
  /** The value is below the average customer's ("only 2 orders") */
  below?: boolean;
}
