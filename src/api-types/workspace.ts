import { Type } from '@sinclair/typebox';
import { Nullable } from './nullable.ts';

// Replies of the workspace's keys and settings routes (src/http/workspace.ts, sends.ts).

export const PreferencesSchema = Type.Object({
  currency: Type.String({ description: 'ISO 4217 code money is shown in, e.g. USD' }),
  locale: Type.String({ description: 'BCP 47 tag numbers and dates are written in, e.g. en-US' }),
  timeZone: Type.String({ description: 'IANA time zone whose midnight starts the workspace\'s days, weeks and hours, e.g. America/New_York' }),
  industry: Nullable(Type.String(), { description: 'The industry whose published NPS the workspace compares itself with' }),
});
export const PreferencesSettings = Type.Object({ preferences: PreferencesSchema, defaults: PreferencesSchema });
export const PreferencesSaved = Type.Object({ preferences: PreferencesSchema });

const KeyKind = Type.Union([Type.Literal('write'), Type.Literal('secret')]);
export const Key = Type.Object({ id: Type.String(), kind: KeyKind, name: Type.String(), prefix: Type.String(), createdAt: Type.Number(), revokedAt: Nullable(Type.Number()) });
export const KeyList = Type.Object({ items: Type.Array(Key) });
export const KeyCreated = Type.Object({ id: Type.String(), kind: KeyKind, name: Type.String(), key: Type.String({ description: 'The key itself: shown in this reply only' }), prefix: Type.String(), createdAt: Type.Number() });

/** Delivery settings as read back: secrets are write-only, so a set password or token reads as dots. */
export const DeliveryView = Type.Object({
  smtp: Nullable(Type.Object({
    host: Type.String(), port: Type.Integer(), secure: Type.Optional(Type.Boolean()), user: Type.Optional(Nullable(Type.String())),
    pass: Nullable(Type.String(), { description: '"••••••" when a password is set, else null' }),
    from: Type.String(),
  })),
  sms: Nullable(Type.Object({
    url: Type.String(), accountSid: Type.String(),
    authToken: Type.String({ description: 'Always "••••••": the token is never shown' }),
    from: Type.String(),
  })),
  publicUrl: Nullable(Type.String()),
});
