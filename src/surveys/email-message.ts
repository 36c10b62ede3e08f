/**
 * The survey email: the NPS question with eleven one-click score links. Mail clients are the
 * constraint here: layout is tables with inline styles (Outlook's Word engine and Gmail drop
 * <style> blocks, flexbox and often padding on links), no scripts, no external resources.
 */
import type { RenderedSurvey } from './rendered.ts';

export interface SurveyEmailInput {
  survey: RenderedSurvey;
  scoreUrl: (score: number) => string;
  surveyUrl: string;
  unsubscribeUrl: string;
  companyName: string;
  personName?: string | null;
  subject?: string | null;
}

export interface SurveyEmail {
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** Untrusted text that ends up in a header or a one-line slot: no line breaks, no runs of spaces. */
const oneLine = (value: string) => value.replace(/\s+/g, ' ').trim();

const MAX_SUBJECT = 100;
const DEFAULT_BRAND = '#4338ca';
const FONT = "-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif";

export function defaultSubject(survey: RenderedSurvey, companyName: string): string {
  const company = oneLine(companyName);
  const question = oneLine(survey.nps.question);
  if (question && question.length <= MAX_SUBJECT) {
    // A question that already names the company reads better alone.
    if (!company || question.toLowerCase().includes(company.toLowerCase())) return question;
    if (company.length + 2 + question.length <= MAX_SUBJECT) return `${company}: ${question}`;
  }
  return company ? `${company}: how likely are you to recommend us?` : 'How likely are you to recommend us?';
}

/** White or near-black, whichever is more legible on the brand colour. */
function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast against white is (1.05)/(L+0.05), against #111 it is (L+0.05)/(0.0056+0.05).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0556 ? '#ffffff' : '#111111';
}

const RTL = /^(ar|fa|he|ur|ps|sd|ug|yi|dv|ckb)(-|$)/i;

export function renderSurveyEmail(input: SurveyEmailInput): SurveyEmail {
  const { survey } = input;
  const subject = oneLine(input.subject ?? '') || defaultSubject(survey, input.companyName);
  const brand = /^#[0-9a-f]{6}$/i.test(survey.brandColor) ? survey.brandColor : DEFAULT_BRAND;
  const onBrand = textOn(brand);
  const e = escapeHtml;
  const lang = /^[A-Za-z0-9-]{1,35}$/.test(survey.language) ? survey.language : 'en';
  const dir = RTL.test(lang) ? 'rtl' : 'ltr';
  const scores = Array.from({ length: 11 }, (_, n) => ({ n, url: input.scoreUrl(n) }));
  const name = oneLine(input.personName ?? '');
  const company = oneLine(input.companyName);
  const question = survey.nps.question.trim();
  const low = oneLine(survey.nps.lowLabel);
  const high = oneLine(survey.nps.highLabel);
  const unsubscribe = input.unsubscribeUrl;

  // One fixed-layout row: on a phone the cells shrink (to ~24px wide at 320px) rather than wrap, which
  // keeps 0 and 10 at the ends where the labels say they are; paddings are lean for the same reason.
  const buttons = scores
    .map(
      ({ n, url }) =>
        `<td width="9%" align="center" style="padding:0 1px;">` +
        `<a href="${e(url)}" target="_blank" style="display:block;background-color:${brand};color:${onBrand};` +
        `font-family:${FONT};font-size:16px;font-weight:bold;line-height:40px;text-align:center;` +
        `text-decoration:none;border-radius:4px;mso-line-height-rule:exactly;">${n}</a></td>`,
    )
    .join('');

  const html = `<!DOCTYPE html>
<html lang="${e(lang)}" dir="${dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="x-apple-disable-message-reformatting">
<title>${e(subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:#f4f5f7;">
<div style="display:none;max-height:0;overflow:hidden;mso-hide:all;">${e(oneLine(question))}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f5f7;">
<tr><td align="center" style="padding:24px 8px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;background-color:#ffffff;border-top:4px solid ${brand};border-radius:6px;">
${company ? `<tr><td dir="${dir}" style="padding:24px 24px 0;font-family:${FONT};font-size:14px;color:#555555;">${e(company)}</td></tr>\n` : ''}<tr><td dir="${dir}" style="padding:16px 24px 20px;font-family:${FONT};font-size:20px;line-height:28px;color:#111111;">
${name ? `${e(name)},<br>` : ''}<a href="${e(input.surveyUrl)}" target="_blank" style="color:#111111;text-decoration:none;">${e(question).replace(/\n/g, '<br>')}</a>
</td></tr>
<tr><td style="padding:0 10px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" dir="ltr" style="table-layout:fixed;">
<tr>${buttons}</tr>
</table>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" dir="ltr">
<tr><td align="left" valign="top" style="padding:8px 1px 0;font-family:${FONT};font-size:13px;color:#555555;">${e(low)}</td>
<td align="right" valign="top" style="padding:8px 1px 0;font-family:${FONT};font-size:13px;color:#555555;">${e(high)}</td></tr>
</table>
</td></tr>
<tr><td style="padding:28px 24px 24px;font-family:${FONT};font-size:12px;line-height:18px;color:#888888;">
<a href="${e(unsubscribe)}" target="_blank" style="color:#888888;text-decoration:underline;">Unsubscribe</a>
</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
`;

  const text = [
    ...(company ? [company, ''] : []),
    ...(name ? [`${name},`] : []),
    question,
    '',
    ...scores.map(({ n, url }) => {
      const label = n === 0 && low ? ` (${low})` : n === 10 && high ? ` (${high})` : '';
      return `${n}${label}: ${url}`;
    }),
    '',
    input.surveyUrl,
    '',
    `Unsubscribe: ${unsubscribe}`,
    '',
  ].join('\n');

  return {
    subject,
    html,
    text,
    headers: {
      // Angle brackets or line breaks inside the URL would end the header field early.
      'List-Unsubscribe': `<${unsubscribe.replace(/[\s<>]/g, '')}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    },
  };
}
