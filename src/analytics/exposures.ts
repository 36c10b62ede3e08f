import type { Db } from '../store/db.ts';
import { forEachNamedEvent } from '../store/events.ts';

/**
 * Who saw a campaign, and when first. Exposure means an open or a click: a send that was never
 * opened did not reach the person, and counting it would dilute a real effect towards zero. Ask
 * for "Email Delivered" (or "Campaign Sent") explicitly to read an intent-to-treat effect instead.
 * Segment's Email spec names the campaign `campaign_name`; the demo and many tools say `campaign`.
 */
export const EXPOSURE_EVENTS = ['Campaign Email Opened', 'Campaign Clicked', 'Email Opened', 'Email Link Clicked'] as const;
const CAMPAIGN_KEYS = ['campaign', 'campaign_name', 'name'] as const;

/** The campaign an event's properties name, if any. */
export function campaignOf(properties: Record<string, unknown> | null): string | null {
  if (!properties) return null;
  for (const key of CAMPAIGN_KEYS) {
    const v = properties[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
  }
  return null;
}

export interface ExposureQuery {
  /** Track event names that count as exposure. */
  events: readonly string[];
  /** Only events naming this campaign; null for every event of those names (an interaction such as "Support Call"). */
  campaign: string | null;
}

/** Each exposed person's (profile id's) first exposure time (ms). */
export async function firstExposures(db: Db, workspaceId: string, q: ExposureQuery): Promise<Map<string, number>> {
  const first = new Map<string, number>();
  for (const name of new Set(q.events)) {
    await forEachNamedEvent(db, workspaceId, name, {}, (events) => {
      for (const e of events) {
        if (q.campaign != null && campaignOf(e.properties) !== q.campaign) continue;
        const seen = first.get(e.profileId);
        if (seen === undefined || e.timestamp < seen) first.set(e.profileId, e.timestamp);
      }
    });
  }
  return first;
}

export interface CampaignSeen {
  campaign: string;
  /** People with at least one exposure event. */
  people: number;
  events: number;
  firstAt: number;
  lastAt: number;
}

/** The campaigns named in exposure events, most people first. */
export async function campaignsSeen(db: Db, workspaceId: string, events: readonly string[]): Promise<CampaignSeen[]> {
  const byName = new Map<string, { people: Set<string>; events: number; firstAt: number; lastAt: number }>();
  for (const name of new Set(events)) {
    await forEachNamedEvent(db, workspaceId, name, {}, (page) => {
      for (const e of page) {
        const campaign = campaignOf(e.properties);
        if (campaign == null) continue;
        let c = byName.get(campaign);
        if (!c) byName.set(campaign, (c = { people: new Set(), events: 0, firstAt: Infinity, lastAt: -Infinity }));
        c.people.add(e.profileId);
        c.events++;
        c.firstAt = Math.min(c.firstAt, e.timestamp);
        c.lastAt = Math.max(c.lastAt, e.timestamp);
      }
    });
  }
  return [...byName].map(([campaign, c]) => ({ campaign, people: c.people.size, events: c.events, firstAt: c.firstAt, lastAt: c.lastAt }))
    .sort((a, b) => b.people - a.people || a.campaign.localeCompare(b.campaign));
}
