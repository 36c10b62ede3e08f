import type { Generated } from 'kysely';
import type { Role } from '../domain/roles.ts';

// Times are epoch milliseconds everywhere (bigint on PostgreSQL, integer on SQLite) so that
// comparisons and arithmetic are identical on both backends. JSON is stored as text for the same reason.

export interface WorkspaceTable {
  id: string;
  name: string;
  settings: string; // JSON: journey-stage rules and other per-workspace settings
  /** HMAC key for tokens this workspace hands out (answer update tokens, later email links). */
  signing_secret: string;
  created_at: number;
}

export interface ApiKeyTable {
  id: string;
  workspace_id: string;
  kind: 'write' | 'secret';
  name: string;
  key_hash: string;
  prefix: string;
  created_at: number;
  revoked_at: number | null;
}

export interface ProfileTable {
  id: string;
  workspace_id: string;
  merged_into: string | null;
  user_id: string | null;
  traits: string; // JSON object
  created_at: number;
  updated_at: number;
  first_seen_at: number;
  last_seen_at: number;
  order_count: number;
  revenue: number;
  first_order_at: number | null;
  last_order_at: number | null;
  nps_score: number | null;
  nps_category: string | null;
  nps_answered_at: number | null;
  nps_prev_score: number | null;
  last_campaign: string | null;
  last_utm_source: string | null;
}

export interface IdentityTable {
  workspace_id: string;
  /** alias: a previousId an alias named before any message carried it as a userId (it joins that userId's person when one does). */
  kind: 'user' | 'anon' | 'email' | 'phone' | 'alias';
  value: string;
  profile_id: string;
  created_at: number;
  /** Soft identities only: the component it belongs to (domain/identity.ts); null for userIds. */
  component: string | null;
}

/** A userId a contested soft component was seen with (domain/identity.ts). */
export interface IdentityLinkTable {
  workspace_id: string;
  component: string;
  user_id: string;
  created_at: number;
}

export interface EventTable {
  id: string;
  workspace_id: string;
  profile_id: string;
  message_id: string;
  type: string;
  name: string | null;
  properties: string | null;
  traits: string | null;
  context: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  email: string | null;
  phone: string | null;
  timestamp: number;
  received_at: number;
  /** The accepted batch holding this event's message, and its position there (null on rows from before the log). */
  batch_id: string | null;
  batch_position: number | null;
}

export interface AnswerTable {
  id: string;
  workspace_id: string;
  profile_id: string;
  event_id: string;
  message_id: string;
  score: number;
  category: 'promoter' | 'passive' | 'detractor';
  comment: string | null;
  channel: string;
  survey_id: string | null;
  survey_version: number | null;
  properties: string; // JSON object
  stage: string | null;
  days_since_last_order: number | null;
  days_since_first_seen: number | null;
  campaign: string | null;
  utm_source: string | null;
  device: string | null;
  answered_at: number;
  created_at: number;
  updated_at: number;
  csat: number | null;
  ces: number | null;
  contact_id: string | null;
}

export interface SurveyTable {
  id: string;
  workspace_id: string;
  name: string;
  status: 'active' | 'paused' | 'archived';
  version: number;
  created_at: number;
  updated_at: number;
}

export interface SurveyVersionTable {
  survey_id: string;
  version: number;
  workspace_id: string;
  definition: string; // JSON SurveyDefinition
  created_at: number;
}

export type ContactStatus = 'scheduled' | 'sending' | 'sent' | 'failed' | 'cancelled' | 'skipped' | 'shown' | 'dismissed' | 'answered';

export interface ContactTable {
  id: string;
  workspace_id: string;
  survey_id: string;
  survey_version: number;
  profile_id: string | null;
  channel: string;
  status: ContactStatus;
  reason: string | null;
  user_id: string | null;
  anonymous_id: string | null;
  email: string | null;
  phone: string | null;
  short_code: string | null;
  properties: string;
  scheduled_at: number | null;
  contacted_at: number | null;
  answered_at: number | null;
  answer_id: string | null;
  error: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
}

export interface JobTable {
  id: string;
  workspace_id: string | null;
  kind: string;
  payload: string;
  status: 'pending' | 'running' | 'done' | 'failed';
  run_at: number;
  attempts: number;
  max_attempts: number;
  locked_until: number | null;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: number;
  updated_at: number;
}

export interface SuppressionTable {
  id: string;
  workspace_id: string;
  kind: 'unsubscribe' | 'bounce';
  channel: string;
  address: string;
  profile_id: string | null;
  source: string;
  detail: string | null;
  created_at: number;
}

export interface TraitChangeTable {
  id: string;
  workspace_id: string;
  profile_id: string;
  key: string;
  value: string | null; // JSON
  previous: string | null; // JSON
  changed_at: number;
  event_id: string | null;
}

export interface MergeTable {
  id: string;
  workspace_id: string;
  survivor_id: string;
  merged_id: string;
  /** merged; refused: a link kept apart (soft ids claimed by a second person, moved off the first onto a profile of their own: details.movedTo). */
  status: 'merged' | 'refused';
  reason: string;
  details: string; // JSON: identities moved, traits of the merged profile before the merge
  created_at: number;
}

export interface IngestionErrorTable {
  id: string; // time-sortable, so paging by id is paging by arrival
  workspace_id: string;
  received_at: number;
  message_id: string | null;
  type: string | null;
  error: string;
  /** JSON: an excerpt of the message as sent ('rejected'), or the accepted event in full ('projection', replayable). */
  payload: string;
  /** 'rejected' at validation, or set aside because projecting it failed. */
  kind: 'rejected' | 'projection';
}

export interface GroupTable {
  workspace_id: string;
  group_id: string;
  traits: string;
  updated_at: number;
}

export interface ProfileGroupTable {
  workspace_id: string;
  profile_id: string;
  group_id: string;
  created_at: number;
}

export interface InboxTable {
  id: string;
  workspace_id: string;
  received_at: number;
  /** Number of events in body. */
  count: number;
  format: 'events' | 'spec';
  /** JSON array of batch positions not to store (format 'spec'). */
  skip: string | null;
}

/** An accepted request's body, kept: the event store behind events rows (store/batches.ts). Same id as its inbox row. */
export interface BatchTable {
  id: string;
  workspace_id: string;
  received_at: number;
  format: 'events' | 'spec';
  /** 'events': JSON array of validated events (IngestEvent); 'spec': the Segment-spec batch body as received. */
  body: string;
}

export interface Schema {
  inbox: InboxTable;
  batches: BatchTable;
  workspaces: WorkspaceTable;
  api_keys: ApiKeyTable;
  profiles: ProfileTable;
  identities: IdentityTable;
  identity_links: IdentityLinkTable;
  events: EventTable;
  answers: AnswerTable;
  trait_changes: TraitChangeTable;
  merges: MergeTable;
  ingestion_errors: IngestionErrorTable;
  groups: GroupTable;
  profile_groups: ProfileGroupTable;
  surveys: SurveyTable;
  survey_versions: SurveyVersionTable;
  contacts: ContactTable;
  jobs: JobTable;
  suppressions: SuppressionTable;
  survey_runs: SurveyRunTable;
  segments: SegmentTable;
  annotations: AnnotationTable;
  churn_models: ChurnModelTable;
  text_models: TextModelTable;
  taxonomies: TaxonomyTable;
  answer_texts: AnswerTextTable;
  answer_themes: AnswerThemeTable;
  churn_scores: ChurnScoreTable;
  users: UserTable;
  memberships: MembershipTable;
  sessions: SessionTable;
  facts: FactTable;
  consumer_cursors: ConsumerCursorTable;
  consumer_errors: ConsumerErrorTable;
}

/** The bus's log: the facts each transaction committed, per workspace, in commit order (domain/facts.ts). */
export interface FactTable {
  position: Generated<number>;
  workspace_id: string;
  at: number;
  /** JSON array of factKeys(body) */
  keys: string;
  /** JSON, encodeFacts */
  body: string;
}

/** How far each durable consumer of the bus has got. */
export interface ConsumerCursorTable {
  name: string;
  /** The last batch handled whole */
  position: number;
  /** Facts of the batch after it handled already (a large batch is handled over several transactions) */
  partial: number;
  updated_at: number;
}

/** Fact batches a durable consumer could not handle, set aside with the reason so the rest went on. */
export interface ConsumerErrorTable {
  consumer: string;
  position: number;
  workspace_id: string;
  reason: string;
  at: number;
}

export interface SurveyRunTable {
  id: string;
  workspace_id: string;
  survey_id: string;
  kind: 'audience' | 'schedule';
  period: number | null;
  channel: 'email' | 'sms';
  conditions: string; // JSON Condition[]: extra conditions on top of the survey's targeting
  delay_seconds: number;
  status: 'running' | 'done' | 'cancelled';
  /** The last profile id looked at */
  cursor: string | null;
  /** Profiles in the workspace when the run started (for progress) */
  total: number;
  scanned: number;
  scheduled: number;
  skipped: string; // JSON: count per reason code
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

/** Answers erased (a deletion request): ids only, so readers that keep answers in memory drop them too. */
export interface SegmentTable {
  id: string;
  workspace_id: string;
  name: string;
  conditions: string; // JSON Condition[]
  created_at: number;
  updated_at: number;
}

export interface AnnotationTable {
  id: string;
  workspace_id: string;
  at: number;
  kind: 'campaign' | 'release' | 'note';
  label: string;
  /** 'api', or the event name it came from */
  source: string;
  created_at: number;
}

export interface ChurnModelTable {
  id: string;
  workspace_id: string;
  trained_at: number;
  definition: string; // JSON ChurnDefinition the labels were made with
  metrics: string; // JSON: cross-validated AUC with its interval, base rate, counts, timings
  model: string; // JSON: feature names, means, standard deviations, intercept and coefficients
}

/** A version of a workspace's theme taxonomy (src/text/taxonomy.ts), the newest current. */
export interface TaxonomyTable {
  workspace_id: string;
  version: number;
  themes: string; // JSON: [{ id, name, terms, exclusions }]
  created_at: number;
  created_by: string | null;
}

export interface TextModelTable {
  id: string;
  workspace_id: string;
  trained_at: number;
  examples: number;
  evaluation: string | null; // JSON text/model.ts Evaluation: held-out accuracy, recall, the lexicon's
  model: string; // JSON SentimentModel
}

/** A commented answer's analysis (src/text/analyze.ts), as of its comment when analysed. */
export interface AnswerTextTable {
  answer_id: string;
  workspace_id: string;
  sentiment: 'negative' | 'neutral' | 'positive';
  score: number;
  themes: string; // JSON: [{ id, mentions: [{ start, end, sentiment: { label, score } }] }]
  model_id: string | null; // the workspace model that scored the sentiment; null: the lexicon
  taxonomy_version: number;
  analyzed_at: number;
}

/** One row per theme an answer's comment mentions, with the sentiment of its first mention. */
export interface AnswerThemeTable {
  workspace_id: string;
  theme_id: string;
  answer_id: string;
  sentiment: 'negative' | 'neutral' | 'positive';
}

export interface ChurnScoreTable {
  model_id: string;
  profile_id: string;
  workspace_id: string;
  /** Probability of churning within the definition's window, 0–1 */
  risk: number;
  factors: string; // JSON: the top reasons, in words and log-odds
  scored_at: number;
}

/** A person who signs in to the dashboard; one account may belong to several workspaces. */
export interface UserTable {
  id: string;
  /** Lower-cased, unique */
  email: string;
  name: string;
  /** scrypt$N$r$p$salt$hash (src/domain/passwords.ts) */
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export interface MembershipTable {
  user_id: string;
  workspace_id: string;
  role: Role;
  created_at: number;
}

export interface SessionTable {
  id: string;
  user_id: string;
  /** sha256 of the cookie's token: a database leak does not hand out live sessions */
  token_hash: string;
  /** Sent back in X-CSRF-Token on every change; a cross-site page can send the cookie but cannot read this */
  csrf_token: string;
  created_at: number;
  last_used_at: number;
  /** The earlier of the idle and the absolute limit, moved on use */
  expires_at: number;
}
