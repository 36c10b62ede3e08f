// The API's replies as the dashboard reads them: the very schemas the routes answer with
// (src/api-types), as types. Imported as types only, so nothing of TypeBox lands in the bundle.
import type { Static } from '@sinclair/typebox';
import type * as Accounts from '../../src/api-types/accounts.ts';
import type * as Answers from '../../src/api-types/answers.ts';
import type * as ChurnReplies from '../../src/api-types/churn.ts';
import type * as Figures from '../../src/api-types/figures.ts';
import type * as Impact from '../../src/api-types/impact.ts';
import type * as Metrics from '../../src/api-types/metrics.ts';
import type * as People from '../../src/api-types/people.ts';
import type * as Profiles from '../../src/api-types/profiles.ts';
import type * as Segments from '../../src/api-types/segments.ts';
import type * as Surveys from '../../src/api-types/surveys.ts';
import type * as Workspace from '../../src/api-types/workspace.ts';
import type * as Drivers from '../../src/api-types/drivers.ts';
import type * as Text from '../../src/api-types/text.ts';

export type NpsFigure = Static<typeof Figures.NpsFigure>;
export type Difference = Static<typeof Figures.Difference>;
export type Proportion = Static<typeof Figures.Proportion>;
export type Verdict = Static<typeof Figures.Verdict>;
/** The time a figure covers, as the server used it: from null is from the first answer; to is exclusive. */
export type FigureWindow = Static<typeof Figures.FigureWindow>;

export type NpsReply = Static<typeof Metrics.NpsReply>;
export type Annotation = Static<typeof Metrics.Annotation>;
export type TrendPoint = Static<typeof Metrics.TrendPoint>;
export type TrendReply = Static<typeof Metrics.TrendReply>;
export type Benchmark = Static<typeof Metrics.Benchmark>;
export type BenchmarksReply = Static<typeof Metrics.BenchmarksReply>;
export type BreakdownRow = Static<typeof Metrics.BreakdownRow>;
export type BreakdownReply = Static<typeof Metrics.BreakdownReply>;
export type Dimension = Static<typeof Metrics.Dimension>;
export type DimensionList = Static<typeof Metrics.DimensionList>;
export type TraitSummary = Static<typeof Metrics.TraitSummary>;
export type TraitList = Static<typeof Metrics.TraitList>;

export type PersonNames = Static<typeof People.PersonNames>;
export type Answer = Static<typeof Answers.Answer>;
export type AnswerPage = Static<typeof Answers.AnswerPage>;
export type LiveAnswer = Static<typeof Answers.LiveAnswer>;

export type Profile = Static<typeof Profiles.Profile>;
export type TimelineItem = Static<typeof Profiles.TimelineItem>;
export type TimelinePage = Static<typeof Profiles.TimelinePage>;
export type TraitHistory = Static<typeof Profiles.TraitHistory>;
export type ProfileSegments = Static<typeof Profiles.ProfileSegments>;

export type ChurnDefinition = Static<typeof ChurnReplies.ChurnDefinition>;
export type ChurnSettings = Static<typeof ChurnReplies.ChurnSettings>;
export type ChurnModelReply = Static<typeof ChurnReplies.ChurnModelReply>;
export type ChurnFactor = Static<typeof ChurnReplies.ChurnFactor>;
export type AtRiskPage = Static<typeof ChurnReplies.AtRiskPage>;
export type ChurnRisk = Static<typeof ChurnReplies.ChurnRisk>;

export type CampaignList = Static<typeof Impact.CampaignList>;
export type CampaignImpact = Static<typeof Impact.ImpactView>;
export type Behaviour = Static<typeof Impact.BehaviourView>;

export type Segment = Static<typeof Segments.SegmentView>;
export type SegmentList = Static<typeof Segments.SegmentList>;

export type { Condition } from '../../src/domain/survey-definition.ts';
export type SurveyView = Static<typeof Surveys.SurveyView>;
export type SurveyReply = Static<typeof Surveys.SurveyReply>;
export type SurveyList = Static<typeof Surveys.SurveyList>;
export type SurveyDetail = Static<typeof Surveys.SurveyDetail>;
export type ContactPolicy = Static<typeof Surveys.ContactPolicy>;
export type SurveyRun = Static<typeof Surveys.RunView>;
export type RunList = Static<typeof Surveys.RunList>;
export type SurveyLink = Static<typeof Surveys.SurveyLink>;

export type Role = Static<typeof Accounts.RoleSchema>;
export type Session = Static<typeof Accounts.SessionView>;
export type User = Static<typeof Accounts.UserView>;
export type UserList = Static<typeof Accounts.UserList>;
export type UserAdded = Static<typeof Accounts.UserAdded>;

export type Preferences = Static<typeof Workspace.PreferencesSchema>;
export type PreferencesSettings = Static<typeof Workspace.PreferencesSettings>;
export type Key = Static<typeof Workspace.Key>;
export type KeyList = Static<typeof Workspace.KeyList>;
export type KeyCreated = Static<typeof Workspace.KeyCreated>;
export type DeliveryView = Static<typeof Workspace.DeliveryView>;
export type PreferencesSaved = Static<typeof Workspace.PreferencesSaved>;

export type DriversReply = Static<typeof Drivers.DriversReply>;
export type ThemeDriver = Static<typeof Drivers.ThemeDriver>;
export type TaxonomyReply = Static<typeof Text.TaxonomyReply>;
export type TaxonomyInput = Static<typeof Text.TaxonomyInput>;
export type TaxonomyVersions = Static<typeof Text.TaxonomyVersions>;
export type TaxonomyVersionReply = Pick<Static<typeof Text.TaxonomyVersionReply>, 'version' | 'themes'>;
export type DiscoveredReply = Static<typeof Drivers.DiscoveredReply>;
export type TextAnalysis = Static<typeof Text.TextAnalysisReply>;
export type TextModelReply = Static<typeof Text.TextModelReply>;
