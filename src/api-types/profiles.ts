import { Type } from '@sinclair/typebox';
import { TextAnalysisReply } from './text.ts';
import { Nullable } from './nullable.ts';
import { PersonNames } from './people.ts';

// Replies of the profile routes (src/http/profiles.ts, and a person's segments in segments.ts).

/** What the server works out about a person from their events and answers, recomputed on every read. */
export const ComputedTraits = Type.Object({
  firstSeen: Type.String(), lastSeen: Type.String(),
  orderCount: Type.Integer(), lifetimeRevenue: Type.Number({ description: 'In the workspace currency, to the cent' }),
  lastOrderAt: Nullable(Type.String()), daysSinceLastOrder: Nullable(Type.Integer()), tenureDays: Type.Integer(),
  journeyStage: Nullable(Type.String(), { description: 'By the workspace\'s journey-stage rules (GET /api/v1/settings/journey-stages)' }),
  latestNps: Nullable(Type.Object({ score: Type.Integer(), category: Type.String(), answeredAt: Type.String() })),
  previousNpsScore: Nullable(Type.Integer()), npsChange: Nullable(Type.Integer()),
  lastCampaign: Nullable(Type.String()), lastUtmSource: Nullable(Type.String()),
});

export const Profile = Type.Object({
  id: Type.String(),
  userId: Nullable(Type.String()),
  createdAt: Type.String(),
  identities: Type.Array(Type.Object({ kind: Type.String(), value: Type.String(), since: Type.String() })),
  traits: Type.Record(Type.String(), Type.Unknown()),
  computed: ComputedTraits,
  groups: Type.Array(Type.String()),
  mergedFrom: Type.Array(Type.Object({ profileId: Type.String(), reason: Type.String(), at: Type.String() })),
  person: Nullable(PersonNames, { description: 'Name, email and phone as known (traits, then identities); null for an anonymous person. Untrusted text: show it as text.' }),
  personLabel: Type.String({ description: 'How to show the person: name, else email, else phone, else userId, else "Anonymous" and a short id' }),
});

const Json = Nullable(Type.Record(Type.String(), Type.Unknown()));

/** An event on a person's timeline; an NPS answer carries the answer's main fields too. */
export const TimelineItem = Type.Object({
  id: Type.String(), type: Type.String(), name: Nullable(Type.String()), timestamp: Type.String(), messageId: Type.String(),
  properties: Json, traits: Json, context: Json,
  answer: Nullable(Type.Object({
    id: Type.String(), score: Type.Integer(), comment: Nullable(Type.String()), channel: Type.String(),
    journeyStage: Nullable(Type.String()), surveyId: Nullable(Type.String()), surveyTitle: Nullable(Type.String()),
    text: Type.Optional(Nullable(TextAnalysisReply, { description: 'What the comment says (themes with offsets, sentiment), as on GET /api/v1/answers' })),
  })),
});
export const TimelinePage = Type.Object({ profileId: Type.String(), items: Type.Array(TimelineItem), nextCursor: Nullable(Type.String()) });

export const TraitChange = Type.Object({
  trait: Type.String(), value: Type.Unknown(), previous: Type.Unknown({ description: 'null when the trait was not set before' }),
  changedAt: Type.String(), eventId: Nullable(Type.String()),
});
export const TraitHistory = Type.Object({ profileId: Type.String(), changes: Type.Array(TraitChange) });

export const ProfileSegments = Type.Object({
  items: Type.Array(Type.Object({ id: Type.String(), name: Type.String() })),
  of: Type.Integer({ description: 'Saved segments in the workspace' }),
});
