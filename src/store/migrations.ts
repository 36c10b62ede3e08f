import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { dialectOf } from './dialect.ts';

// One list of migrations for both backends. Only types that mean the same on SQLite and
// PostgreSQL are used: text, integer, bigint (epoch ms) and double precision (and the bus's
// position, an auto-incrementing key on each).
const initial: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('workspaces')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('signing_secret', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('key_hash', 'text', (c) => c.notNull().unique())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('revoked_at', 'bigint')
      .execute();
    await db.schema.createIndex('api_keys_workspace').on('api_keys').columns(['workspace_id']).execute();

    await db.schema
      .createTable('profiles')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('merged_into', 'text')
      .addColumn('user_id', 'text')
      .addColumn('traits', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('order_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('revenue', 'double precision', (c) => c.notNull().defaultTo(0))
      .addColumn('first_order_at', 'bigint')
      .addColumn('last_order_at', 'bigint')
      .addColumn('nps_score', 'integer')
      .addColumn('nps_category', 'text')
      .addColumn('nps_answered_at', 'bigint')
      .addColumn('nps_prev_score', 'integer')
      .addColumn('last_campaign', 'text')
      .addColumn('last_utm_source', 'text')
      .execute();
    // No index on last_seen_at: every event moves it, and an index would be rewritten on each one.
    await db.schema.createIndex('profiles_workspace').on('profiles').columns(['workspace_id', 'created_at']).execute();

    await db.schema
      .createTable('identities')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('identities_pk', ['workspace_id', 'kind', 'value'])
      .execute();
    await db.schema.createIndex('identities_profile').on('identities').columns(['profile_id']).execute();

    await db.schema
      .createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('name', 'text')
      .addColumn('properties', 'text')
      .addColumn('traits', 'text')
      .addColumn('context', 'text')
      .addColumn('user_id', 'text')
      .addColumn('anonymous_id', 'text')
      .addColumn('email', 'text')
      .addColumn('phone', 'text')
      .addColumn('timestamp', 'bigint', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('events_message').unique().on('events').columns(['workspace_id', 'message_id']).execute();
    await db.schema.createIndex('events_profile_time').on('events').columns(['profile_id', 'timestamp']).execute();
    await db.schema.createIndex('events_name_time').on('events').columns(['workspace_id', 'name', 'timestamp']).execute();

    // Accepted requests, one row each, until projected into events: accepting is then one append
    // per request, however many events it carries (see store/writer.ts).
    await db.schema
      .createTable('inbox')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('count', 'integer', (c) => c.notNull())
      // 'events': a JSON array of validated events; 'segment': a Segment batch body as it came,
      // with `skip` listing the positions rejected or repeated at acceptance.
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('skip', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('inbox_workspace').on('inbox').columns(['workspace_id']).execute();

    await db.schema
      .createTable('answers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('event_id', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('score', 'integer', (c) => c.notNull())
      .addColumn('category', 'text', (c) => c.notNull())
      .addColumn('comment', 'text')
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('survey_id', 'text')
      .addColumn('survey_version', 'integer')
      .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('stage', 'text')
      .addColumn('days_since_last_order', 'integer')
      .addColumn('days_since_first_seen', 'integer')
      .addColumn('campaign', 'text')
      .addColumn('utm_source', 'text')
      .addColumn('device', 'text')
      .addColumn('answered_at', 'bigint', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('answers_message').unique().on('answers').columns(['workspace_id', 'message_id']).execute();
    await db.schema.createIndex('answers_time').on('answers').columns(['workspace_id', 'answered_at']).execute();
    await db.schema.createIndex('answers_profile').on('answers').columns(['profile_id', 'answered_at']).execute();

    await db.schema
      .createTable('trait_changes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text')
      .addColumn('previous', 'text')
      .addColumn('changed_at', 'bigint', (c) => c.notNull())
      .addColumn('event_id', 'text')
      .execute();
    await db.schema.createIndex('trait_changes_profile').on('trait_changes').columns(['profile_id', 'changed_at']).execute();

    await db.schema
      .createTable('merges')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('survivor_id', 'text', (c) => c.notNull())
      .addColumn('merged_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('details', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('merges_survivor').on('merges').columns(['workspace_id', 'survivor_id']).execute();
    await db.schema.createIndex('merges_merged').on('merges').columns(['workspace_id', 'merged_id']).execute();

    await db.schema
      .createTable('ingestion_errors')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('message_id', 'text')
      .addColumn('type', 'text')
      .addColumn('error', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('ingestion_errors_ws').on('ingestion_errors').columns(['workspace_id', 'id']).execute();

    await db.schema
      .createTable('groups')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('group_id', 'text', (c) => c.notNull())
      .addColumn('traits', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('groups_pk', ['workspace_id', 'group_id'])
      .execute();
    await db.schema
      .createTable('profile_groups')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('group_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('profile_groups_pk', ['profile_id', 'group_id'])
      .execute();
  },
};

// Surveys and their delivery: definitions with versions, contacts (every time a person is asked,
// on any channel: the fatigue policy reads them), the job outbox, and suppressions
// (unsubscribes and bounces).
const surveys: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('surveys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('surveys_workspace').on('surveys').columns(['workspace_id', 'created_at']).execute();

    await db.schema
      .createTable('survey_versions')
      .addColumn('survey_id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('survey_versions_pk', ['survey_id', 'version'])
      .execute();

    await db.schema
      .createTable('contacts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('survey_id', 'text', (c) => c.notNull())
      .addColumn('survey_version', 'integer', (c) => c.notNull())
      .addColumn('profile_id', 'text')
      .addColumn('channel', 'text', (c) => c.notNull())
      // scheduled → sent | failed | cancelled | skipped; shown; answered; dismissed
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('user_id', 'text')
      .addColumn('anonymous_id', 'text')
      .addColumn('email', 'text')
      .addColumn('phone', 'text')
      .addColumn('short_code', 'text')
      .addColumn('properties', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('scheduled_at', 'bigint')
      .addColumn('contacted_at', 'bigint')
      .addColumn('answered_at', 'bigint')
      .addColumn('answer_id', 'text')
      .addColumn('error', 'text')
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('contacts_profile').on('contacts').columns(['workspace_id', 'profile_id', 'created_at']).execute();
    await db.schema.createIndex('contacts_status').on('contacts').columns(['workspace_id', 'status', 'scheduled_at']).execute();
    await db.schema.createIndex('contacts_short_code').unique().on('contacts').columns(['short_code']).execute();

    await db.schema
      .createTable('jobs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
      // pending → running → done | failed (retries go back to pending with a later run_at)
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('run_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('max_attempts', 'integer', (c) => c.notNull())
      .addColumn('locked_until', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('dedupe_key', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('jobs_due').on('jobs').columns(['status', 'run_at']).execute();
    await db.schema.createIndex('jobs_dedupe').unique().on('jobs').columns(['dedupe_key']).execute();
    await db.schema.createIndex('jobs_workspace').on('jobs').columns(['workspace_id', 'status', 'created_at']).execute();

    await db.schema
      .createTable('suppressions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      // 'unsubscribe' (the person opted out of surveys on every channel) or 'bounce' (the address fails)
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('suppressions_address').unique().on('suppressions').columns(['workspace_id', 'address', 'kind']).execute();
    await db.schema.createIndex('suppressions_profile').on('suppressions').columns(['workspace_id', 'profile_id']).execute();
    await db.schema.createIndex('suppressions_time').on('suppressions').columns(['workspace_id', 'kind', 'created_at']).execute();

    await db.schema.alterTable('answers').addColumn('csat', 'integer').execute();
    await db.schema.alterTable('answers').addColumn('ces', 'integer').execute();
    await db.schema.alterTable('answers').addColumn('contact_id', 'text').execute();
  },
};


// Sends that nobody asks for one by one: after an event (triggers read new events from a cursor)
// and to a whole audience, once or on a schedule (runs page through profiles and keep their progress).
const automatedSends: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('read_cursors')
      // The survey (or workspace) that reads, and what it reads, e.g. "trigger:Order Delivered"
      .addColumn('owner_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('position', 'text', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('read_cursors_pk', ['owner_id', 'name'])
      .execute();

    await db.schema
      .createTable('survey_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('survey_id', 'text', (c) => c.notNull())
      // 'audience' (started through the API) or 'schedule' (one per period of the survey's schedule)
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('period', 'integer')
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('conditions', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('delay_seconds', 'integer', (c) => c.notNull().defaultTo(0))
      // running → done | cancelled
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('cursor', 'text')
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('scanned', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('scheduled', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('skipped', 'text', (c) => c.notNull().defaultTo('{}'))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .execute();
    await db.schema.createIndex('survey_runs_survey').on('survey_runs').columns(['workspace_id', 'survey_id', 'created_at']).execute();
    await db.schema.createIndex('survey_runs_period').unique().on('survey_runs').columns(['survey_id', 'kind', 'period']).execute();
    // A texted reply is matched to the contact last texted to that number.
    await db.schema.createIndex('contacts_phone').on('contacts').columns(['workspace_id', 'phone']).execute();

    // Triggers read track events by name in arrival order; partial, so page views and identifies
    // (most of the volume) do not pay for it on insert.
    await db.schema.createIndex('events_track_arrival').on('events').columns(['workspace_id', 'name', 'id']).where(sql.ref('type'), '=', sql.lit('track')).execute();
  },
};

// The insight engine keeps answers in memory and follows changes: answers by when they last
// changed, and erasures (which leave no row behind to notice) in their own log. Segments filter it.
const insightFeed: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createIndex('answers_changed').on('answers').columns(['workspace_id', 'updated_at']).execute();
    await db.schema
      .createTable('answer_deletions')
      .addColumn('answer_id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('deleted_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('answer_deletions_time').on('answer_deletions').columns(['workspace_id', 'deleted_at']).execute();

    // Saved condition sets over traits, computed traits and NPS, used to filter figures.
    await db.schema
      .createTable('segments')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('conditions', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('segments_workspace').on('segments').columns(['workspace_id', 'created_at']).execute();

    // Campaigns, releases and notes shown on trend charts.
    await db.schema
      .createTable('annotations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('annotations_time').on('annotations').columns(['workspace_id', 'at']).execute();
    await db.schema.createIndex('annotations_label').unique().on('annotations').columns(['workspace_id', 'kind', 'label']).execute();
  },
};

// The churn-risk model: every trained model is kept (its definition, cross-validated accuracy and
// coefficients), and the latest one's risk per customer, so the at-risk list is one index range
// read in risk order rather than a retraining-sized computation on every request.
const churnModels: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('churn_models')
      // Time-sortable: the newest id is the current model.
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('trained_at', 'bigint', (c) => c.notNull())
      .addColumn('definition', 'text', (c) => c.notNull())
      .addColumn('metrics', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('churn_models_workspace').on('churn_models').columns(['workspace_id', 'id']).execute();

    await db.schema
      .createTable('churn_scores')
      .addColumn('model_id', 'text', (c) => c.notNull())
      .addColumn('profile_id', 'text', (c) => c.notNull())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('risk', 'double precision', (c) => c.notNull())
      .addColumn('factors', 'text', (c) => c.notNull())
      .addColumn('scored_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('churn_scores_pk', ['model_id', 'profile_id'])
      .execute();
    // The at-risk list: one model's scores by risk, highest first (read backwards), ties by profile.
    await db.schema.createIndex('churn_scores_risk').on('churn_scores').columns(['model_id', 'risk', 'profile_id']).execute();
    // Erasure and clean-up by workspace.
    await db.schema.createIndex('churn_scores_profile').on('churn_scores').columns(['workspace_id', 'profile_id']).execute();
  },
};

// Dashboard accounts: users (one account, several workspaces), their role per workspace, and
// sign-in sessions, found by the hash of the cookie's token.
const accounts: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('users')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('email', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('memberships')
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('memberships_pk', ['user_id', 'workspace_id'])
      .execute();
    await db.schema.createIndex('memberships_workspace').on('memberships').columns(['workspace_id', 'role']).execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('csrf_token', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_used_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').columns(['user_id']).execute();
    await db.schema.createIndex('sessions_expiry').on('sessions').columns(['expires_at']).execute();
  },
};

// Messages that failed at projection (not at validation) are set aside in ingestion_errors with the
// event as it was accepted, so they can be read and replayed; `kind` tells the two apart.
const ingestionSetAside: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('ingestion_errors').addColumn('kind', 'text', (c) => c.notNull().defaultTo('rejected')).execute();
  },
};

// Soft identities (anonymousIds, emails, phones) belong to components: the ids one message without
// a userId named together. identity_links holds the userIds a component was seen with once it is
// contested (domain/identity.ts). Existing soft identities start as one component per profile.
const identityComponents: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('identities').addColumn('component', 'text').execute();
    await sql`update identities set component = 'cmp_' || profile_id where kind <> 'user'`.execute(db);
    await db.schema.createIndex('identities_component').on('identities').columns(['workspace_id', 'component']).execute();
    await db.schema
      .createTable('identity_links')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('component', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('identity_links_pk', ['workspace_id', 'component', 'user_id'])
      .execute();
    await db.schema.createIndex('identity_links_user').on('identity_links').columns(['workspace_id', 'user_id']).execute();
  },
};

// The bus (store/facts.ts, store/bus.ts): a log of what each transaction committed, in commit
// order, that consumers follow with their own cursor. It replaces the polling it made unnecessary:
// answers read by change time with answer_deletions beside them, and read_cursors over event ids.
const bus: Migration = {
  async up(db: Kysely<any>) {
    const postgres = dialectOf(db).name === 'postgres';
    await db.schema
      .createTable('facts')
      // AUTOINCREMENT on SQLite: positions are never reused, even after the newest rows are pruned.
      .addColumn('position', postgres ? 'bigserial' : 'integer', (c) => (postgres ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      // JSON array of factKeys(body): readers skip a batch they want nothing of without decoding it.
      .addColumn('keys', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('facts_workspace').on('facts').columns(['workspace_id', 'position']).execute();
    await db.schema
      .createTable('consumer_cursors')
      .addColumn('name', 'text', (c) => c.primaryKey())
      // The last batch handled whole, and how many facts of the next one are handled already.
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('partial', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('consumer_errors')
      .addColumn('consumer', 'text', (c) => c.notNull())
      .addColumn('position', 'bigint', (c) => c.notNull())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('consumer_errors_pk', ['consumer', 'position'])
      .execute();
    await db.schema.dropTable('read_cursors').execute();
    // "segment" is the saved groups' word; the inbox format of a Segment-spec batch is 'spec'.
    await sql`update inbox set format = 'spec' where format = 'segment'`.execute(db);
    await db.schema.dropTable('answer_deletions').execute();
  },
};

// Projection writes an event's keys, not its payload: accepted bodies are kept (batches) and an
// events row points at its message there. Survey triggers hear of track events from the bus now,
// so nothing reads events by arrival, and that index cost every track event a random page write.
const acceptedLog: Migration = {
  async up(db) {
    await db.schema.dropIndex('events_track_arrival').ifExists().execute();
    await db.schema
      .createTable('batches')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('format', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .execute();
    await sql`insert into batches (id, workspace_id, received_at, format, body) select id, workspace_id, received_at, format, body from inbox`.execute(db);
    await db.schema.alterTable('inbox').dropColumn('body').execute();
    await db.schema.alterTable('events').addColumn('batch_id', 'text').execute();
    await db.schema.alterTable('events').addColumn('batch_position', 'integer').execute();
  },
};

// Analyses read events by name only for track events (store/events.ts): page views and identifies,
// often most of the volume, need not pay for that index on every insert.
const trackNameIndex: Migration = {
  async up(db) {
    await db.schema.createIndex('events_track_name_time').on('events').columns(['workspace_id', 'name', 'timestamp']).where(sql.ref('type'), '=', sql.lit('track')).execute();
    await db.schema.dropIndex('events_name_time').execute();
  },
};

// Text analysis (src/text): each workspace's own sentiment model, learnt from its answers' comments
// (the newest id is current; a few older ones stay for their held-out accuracy over time), and each
// commented answer's analysis, with its themes apart for filtering by theme.
const text: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('text_models')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('trained_at', 'bigint', (c) => c.notNull())
      .addColumn('examples', 'integer', (c) => c.notNull())
      .addColumn('evaluation', 'text')
      .addColumn('model', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('text_models_workspace').on('text_models').columns(['workspace_id', 'id']).execute();

    await db.schema
      .createTable('answer_texts')
      .addColumn('answer_id', 'text', (c) => c.primaryKey())
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('sentiment', 'text', (c) => c.notNull())
      .addColumn('score', 'real', (c) => c.notNull())
      .addColumn('themes', 'text', (c) => c.notNull())
      .addColumn('model_id', 'text')
      .addColumn('taxonomy_version', 'integer', (c) => c.notNull())
      .addColumn('analyzed_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('answer_texts_workspace').on('answer_texts').columns(['workspace_id', 'sentiment']).execute();
    await db.schema
      .createTable('answer_themes')
      .addColumn('workspace_id', 'text', (c) => c.notNull())
      .addColumn('theme_id', 'text', (c) => c.notNull())
      .addColumn('answer_id', 'text', (c) => c.notNull())
      .addColumn('sentiment', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint('answer_themes_pk', ['workspace_id', 'theme_id', 'answer_id'])
      .execute();
    await db.schema.createIndex('answer_themes_answer').on('answer_themes').columns(['answer_id']).execute();
  },
};

/** Each workspace's edits of the theme taxonomy, every version kept (version 1 is the built-in one, never stored). */
const taxonomies: Migration = {
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('taxonomies')
      .addColumn('workspace_id', 'text', (c) => c.notNull().references('workspaces.id').onDelete('cascade'))
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('themes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text')
      .addPrimaryKeyConstraint('taxonomies_pk', ['workspace_id', 'version'])
      .execute();
  },
};

export const migrations: Record<string, Migration> = {
  '0001_initial': initial,
  '0002_surveys': surveys,
  '0003_automated_sends': automatedSends,
  '0004_insight_feed': insightFeed,
  '0005_churn_models': churnModels,
  '0006_accounts': accounts,
  '0007_ingestion_set_aside': ingestionSetAside,
  '0008_identity_components': identityComponents,
  '0009_bus': bus,
  '0010_accepted_log': acceptedLog,
  '0011_track_name_index': trackNameIndex,
  '0012_text': text,
  '0013_taxonomies': taxonomies,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
