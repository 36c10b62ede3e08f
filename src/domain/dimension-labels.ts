/**
 * Dimension values as a CX lead reads them ("SMS", "Repeat customer") rather than as they are
 * stored ("sms", "repeat"). Pure, so the server (breakdown replies) and the dashboard (filters,
 * tables, plots) share one wording. Values a workspace names itself (campaigns, UTM sources, trait
 * and property values) are shown as given: they are already someone's words.
 */

const KNOWN: Record<string, Record<string, string>> = {
  channel: {
    web: 'Web', email: 'Email', sms: 'SMS', app: 'In-app', store: 'In-store', link: 'Link', kiosk: 'Kiosk', api: 'API',
    qr: 'QR code', phone: 'Phone', chat: 'Chat', whatsapp: 'WhatsApp',
  },
  stage: {
    new: 'New (no order yet)', active: 'First-time customer', repeat: 'Repeat customer', lapsed: 'Lapsed customer',
  },
  device: { mobile: 'Mobile', desktop: 'Desktop', tablet: 'Tablet' },
  sentiment: { negative: 'Negative', neutral: 'Neutral', positive: 'Positive' },
};

/** Dimensions whose values are codes the product itself writes, so unknown ones are tidied too. */
const CODED = new Set(Object.keys(KNOWN));

export const NOT_SET_LABEL = '(not set)';

/** How to show `value` of `dimension` (e.g. channel "sms" → "SMS"); null is "(not set)". */
export function dimensionValueLabel(dimension: string, value: string | null | undefined): string {
  if (value == null || value === '') return NOT_SET_LABEL;
  const known = Object.hasOwn(KNOWN, dimension) ? KNOWN[dimension] : undefined;
  if (known && Object.hasOwn(known, value)) return known[value];
  if (!CODED.has(dimension)) return value;
  // A code this list does not know yet ("in_store", "phone-call"): words, first one capitalised.
  const words = value.replace(/[_-]+/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : value;
}
