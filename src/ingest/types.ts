import type { MessageType } from '../domain/event.ts';

// The Segment spec message, as the client libraries send it (API-COMPAT.md).

export interface SpecContext {
  ip?: string;
  locale?: string;
  timezone?: string;
  userAgent?: string;
  campaign?: { name?: string; source?: string; medium?: string; term?: string; content?: string };
  page?: { path?: string; referrer?: string; search?: string; title?: string; url?: string };
  device?: { type?: string; [k: string]: unknown };
  os?: Record<string, unknown>;
  library?: { name?: string; version?: string };
  traits?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface SpecMessage {
  type: MessageType;
  messageId?: string;
  userId?: string | null;
  anonymousId?: string | null;
  timestamp?: string | number;
  originalTimestamp?: string;
  sentAt?: string;
  context?: SpecContext;
  integrations?: Record<string, unknown>;
  event?: string; // track
  name?: string; // page, screen
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>; // identify, group
  groupId?: string; // group
  previousId?: string; // alias
  [k: string]: unknown;
}
