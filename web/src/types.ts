// Shapes of the API's replies as the dashboard reads them (see /openapi.json).

export interface Interval { se: number | null; low: number | null; high: number | null }
export interface NpsFigure {
  n: number; promoters: number; passives: number; detractors: number;
  promoterShare: number | null; passiveShare: number | null; detractorShare: number | null;
  nps: number | null; wald: Interval; adjusted: { nps: number | null; se: number | null; low: number | null; high: number | null };
  lowSample: boolean; margin: number | null;
}
export interface Difference { diff: number | null; se: number | null; z: number | null; p: number | null; low: number | null; high: number | null; significant: boolean }
/** The time a figure covers, as the server used it: from null is from the first answer; to is exclusive. */
export interface FigureWindow { from: string | null; to: string }
export interface NpsReply extends NpsFigure { distribution: number[]; previous: NpsFigure | null; change: Difference | null; from: string | null; to: string | null; window: FigureWindow }
export interface Annotation { id: string; at: string; kind: string; label: string; source: string }
export interface TrendPoint extends NpsFigure { start: string; end: string; change: Difference | null }
export interface TrendReply { interval: string; rolling: number | null; points: TrendPoint[]; annotations: Annotation[]; window: FigureWindow }
export interface Benchmark { id: string; industry: string; nps: number; kind: string; source: string; year: number; region: string; position: 'above' | 'below' | 'within' | null }
export interface BenchmarksReply { workspace: NpsFigure; previous: NpsFigure; change: Difference; industry: string | null; benchmarks: Benchmark[]; published: Benchmark[]; window: FigureWindow }
export interface BreakdownRow extends NpsFigure { value: string | null; label: string; vsRest: Difference; mark: 'higher' | 'lower' | null }
export interface TraitSummary { name: string; answers: number; distinct: number; values: Array<{ value: string; answers: number }>; otherAnswers: number }
export interface BreakdownReply { by: string; total: NpsFigure; rows: BreakdownRow[]; window: FigureWindow }
export interface Dimension { name: string; values: string[] }

export interface Answer {
  id: string; profileId: string; score: number; category: string; comment: string | null; channel: string;
  surveyId: string | null; surveyVersion: number | null; csat: number | null; ces: number | null;
  properties: Record<string, unknown>;
  context: { journeyStage: string | null; daysSinceLastOrder: number | null; daysSinceFirstSeen: number | null; campaign: string | null; utmSource: string | null; device: string | null };
  answeredAt: string; createdAt: string; updatedAt: string;
  surveyTitle: string | null; person: PersonNames | null; personLabel: string;
}
export interface LiveAnswer { id: string; at: string; score: number; category: string; comment: string | null; channel: string; surveyId: string | null; surveyTitle: string | null; profileId: string; person: PersonNames | null; personLabel: string; name: string | null; email: string | null }
export interface PersonNames { name: string | null; email: string | null; phone: string | null }

export interface Profile {
  id: string; userId: string | null; createdAt: string;
  identities: Array<{ kind: string; value: string; since: string }>;
  traits: Record<string, unknown>;
  computed: Record<string, unknown> & { latestNps?: { score: number; category: string; answeredAt: string } | null };
  groups: string[];
  mergedFrom: Array<{ profileId: string; reason: string; at: string }>;
  person: PersonNames | null; personLabel: string;
}
export interface TimelineItem { id: string; type: string; name: string | null; timestamp: string; properties: Record<string, unknown> | null; traits: Record<string, unknown> | null; answer: Answer | null }
export interface ChurnFactor { text: string; feature: string; contribution: number }
export interface ChurnRisk { risk: number | null; factors: ChurnFactor[]; lowering?: ChurnFactor[]; status: string; reason: string | null; model: { auc: number; trainedAt: string } | null }

export interface Condition { field: string; op: string; value?: unknown }
export interface Segment { id: string; name: string; conditions: Condition[]; people?: number; answers?: number; createdAt: string; updatedAt: string }

export interface SurveyView { id: string; name: string; status: string; version: number; definition: Record<string, any>; createdAt: string; updatedAt: string }

export interface Key { id: string; kind: 'write' | 'secret'; name: string; prefix: string; createdAt: number; revokedAt: number | null }
export interface User { id: string; email: string; name: string | null; role: 'viewer' | 'analyst' | 'admin' }
