/**
 * A survey as a respondent sees it: one language chosen, every text resolved. The widget, the
 * hosted link and kiosk pages and the email all draw from this one shape, so wording set on the
 * survey reads the same on every channel.
 */
export interface RenderedScale {
  question: string;
  lowLabel: string;
  highLabel: string;
}

export interface RenderedSurvey {
  surveyId: string;
  version: number;
  /** BCP 47 tag of the texts below, e.g. "en" or "de". */
  language: string;
  /** The NPS question, 0–10. */
  nps: RenderedScale;
  /** The open "why" question, worded per category of the score just given. */
  followUp: { promoter: string; passive: string; detractor: string };
  /** Optional CSAT (1–5) and CES (1–7) questions, asked after the comment. */
  csat: RenderedScale | null;
  ces: RenderedScale | null;
  thankYou: { promoter: string; passive: string; detractor: string };
  /** Shown to promoters with their thank-you (review site, referral programme). */
  promoterLink: { url: string; label: string } | null;
  /** CSS colour, "#rrggbb". */
  brandColor: string;
  /** Button and small texts, in the same language. */
  labels: { submit: string; close: string; commentPlaceholder: string; poweredBy: string };
}
