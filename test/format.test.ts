/**
 * The dashboard's formatters (web/src/format.ts) in a workspace's terms: money with its currency
 * and the currency's own decimals, counts and decimals as the locale writes them, days and times
 * in the workspace's time zone; and the app-wide setting the pages read when they pass nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  fmtAxisDate, fmtDate, fmtDateTime, fmtDecimal, fmtInt, fmtInterval, fmtMoney, fmtNps, fmtPct, fmtProperty, fmtSigned, setFormatPreferences,
} from '../web/src/format.ts';

// Intl writes a narrow no-break space before "€" in de-DE and a no-break space in "1 234" in fr-FR:
// compare with plain spaces so that a failure message is readable.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

const US = { currency: 'USD', locale: 'en-US', timeZone: 'UTC' };
const DE = { currency: 'EUR', locale: 'de-DE', timeZone: 'Europe/Berlin' };
const JP = { currency: 'JPY', locale: 'ja-JP', timeZone: 'Asia/Tokyo' };
const NY = { currency: 'USD', locale: 'en-US', timeZone: 'America/New_York' };

describe('formatters in the workspace\'s currency, locale and time zone', () => {
  after(() => setFormatPreferences(null));

  it('writes money with its currency: $ and cents in en-US, € after German grouping in de-DE, yen without decimals', () => {
    assert.equal(fmtMoney(146, undefined, US), '$146.00');
    assert.equal(fmtMoney(1234.5, undefined, US), '$1,234.50');
    assert.equal(fmtMoney(-20.25, undefined, US), '-$20.25');
    assert.equal(plain(fmtMoney(1234.5, undefined, DE)), '1.234,50 €');
    assert.equal(plain(fmtMoney(119, 0, DE)), '119 €');
    assert.equal(fmtMoney(1234.56, undefined, JP), '￥1,235', 'yen has no minor unit: rounded to whole yen');
    assert.equal(fmtMoney(1234, undefined, { ...US, currency: 'GBP' }), '£1,234.00');
    assert.equal(fmtMoney(null, undefined, US), '–');
    assert.equal(fmtMoney(Number.NaN, undefined, DE), '–');
  });

  it('groups counts and writes decimals as the locale does', () => {
    assert.equal(fmtInt(1234567, US), '1,234,567');
    assert.equal(fmtInt(1234567, DE), '1.234.567');
    assert.equal(plain(fmtInt(1234567, { ...US, locale: 'fr-FR' })), '1 234 567');
    assert.equal(fmtInt(2.6, JP), '3');
    assert.equal(fmtDecimal(1.256, 2, US), '1.26');
    assert.equal(fmtDecimal(1.256, 2, DE), '1,26');
    assert.equal(fmtNps(21.64, 1, US), '+21.6');
    assert.equal(fmtNps(21.64, 1, DE), '+21,6');
    assert.equal(fmtNps(-3.2, 0, DE), '−3');
    assert.equal(fmtNps(-0.04, 1, DE), '0,0', 'a rounded zero has no sign');
    assert.equal(fmtSigned(-2.55, 1, DE), '−2,5');
    assert.equal(fmtInterval(-4.5, 12.25, 1, DE), '−4,5 to +12,3');
    assert.equal(fmtPct(0.456, 0, US), '46%');
    assert.equal(plain(fmtPct(0.456, 0, DE)), '46 %');
  });

  it('puts a moment on the workspace\'s day, not UTC\'s nor the browser\'s', () => {
    // 03:30 UTC on 8 March 2026 is still the evening of 7 March in New York and noon in Tokyo.
    const at = '2026-03-08T03:30:00Z';
    assert.equal(fmtDate(at, US), 'Mar 8, 2026');
    assert.equal(fmtDate(at, NY), 'Mar 7, 2026');
    assert.equal(fmtDate(at, DE), '8. März 2026');
    assert.equal(fmtDate(at, JP), '2026年3月8日');
    assert.match(fmtDateTime(at, NY), /^Mar 7, 2026, 10:30 PM$/);
    assert.equal(fmtDateTime(at, DE), '8. März 2026, 04:30', 'Berlin is an hour ahead of UTC in March, on a 24-hour clock');
    // New York's clocks went forward at 2:00 on 8 March: 12:00 UTC is 8:00 EDT that day, 7:00 EST the day before.
    assert.match(fmtDateTime('2026-03-08T12:00:00Z', NY), /8:00 AM$/);
    assert.match(fmtDateTime('2026-03-07T12:00:00Z', NY), /7:00 AM$/);
    assert.equal(fmtAxisDate(Date.parse(at), 90 * 86_400_000, NY), 'Mar 7');
    assert.equal(fmtAxisDate(Date.parse(at), 800 * 86_400_000, DE), 'März 2026');
    assert.equal(fmtDate(null, US), '–');
    assert.equal(fmtDate('not a date', US), '–');
  });

  it('formats money properties of orders as money and leaves other values alone', () => {
    assert.equal(fmtProperty('revenue', 146, US), '$146.00');
    assert.equal(plain(fmtProperty('total', 1234.5, DE)), '1.234,50 €');
    assert.equal(fmtProperty('quantity', 3, US), '3');
    assert.equal(fmtProperty('revenue', 'n/a', US), 'n/a', 'only numbers are money');
  });

  it('reads the workspace set by the app shell when a page passes nothing, and falls back on an unknown currency', () => {
    setFormatPreferences(DE);
    assert.equal(plain(fmtMoney(1234.5)), '1.234,50 €');
    assert.equal(fmtInt(1234), '1.234');
    assert.equal(fmtDate('2026-03-08T23:30:00Z'), '9. März 2026', 'half past midnight in Berlin');
    setFormatPreferences({ currency: 'JPY', locale: 'ja-JP', timeZone: 'Asia/Tokyo' });
    assert.equal(fmtMoney(1234.56), '￥1,235');
    setFormatPreferences(null);
    assert.equal(fmtMoney(146), '$146.00', 'signed out or no preferences: the defaults');
    assert.equal(fmtDate('2026-03-08T23:30:00Z'), 'Mar 8, 2026');
    assert.equal(fmtMoney(5, undefined, { ...US, currency: 'XX1' }), '$5.00', 'a code this browser cannot format is no crash');
  });
});
