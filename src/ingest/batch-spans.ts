/**
 * The length in characters of each message of a Segment batch, read off the JSON text without
 * parsing it again. The 32 KB per-message limit then costs one pass over the text instead of a
 * JSON.stringify of every message (which was most of a batch's validation time).
 *
 * Returns null when the text is not shaped as expected; the caller then measures another way.
 * As JSON.parse does, a repeated "batch" key counts by its last occurrence.
 */
export function batchMessageLengths(text: string): number[] | null {
  return batchLayout(text)?.spans.map(([from, to]) => to - from) ?? null;
}

/** Where a batch's messages lie in its text: each message's [start, end), and the batch array's [start, end] brackets. */
export interface BatchLayout {
  spans: Array<[number, number]>;
  array: [number, number];
}

/** The layout of a Segment batch's text (see batchMessageLengths), or null when it is not shaped as expected. */
export function batchLayout(text: string): BatchLayout | null {
  const n = text.length;
  let depth = 0;
  let i = 0;
  let lastKey: string | null = null;
  let expectKey = false;
  let inBatch = false;
  let batchDepth = -1;
  let start = -1;
  let opened = -1;
  let current: Array<[number, number]> = [];
  let result: BatchLayout | null = null;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const from = i + 1;
      let end = text.indexOf('"', from);
      while (end !== -1) {
        let slashes = 0;
        for (let k = end - 1; k >= from && text.charCodeAt(k) === 92; k--) slashes++;
        if (slashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      if (end === -1) return null;
      if (inBatch && depth === batchDepth && start === -1) start = i;
      if (depth === 1 && expectKey) lastKey = text.slice(from, end);
      i = end + 1;
      continue;
    }
    if (c === 123 /* { */ || c === 91 /* [ */) {
      if (inBatch && depth === batchDepth && start === -1) start = i;
      depth++;
      if (c === 91 && depth === 2 && lastKey === 'batch' && !inBatch) {
        inBatch = true;
        batchDepth = 2;
        current = [];
        start = -1;
        opened = i;
      }
      // Only keys at depth 1 are read; deeper ones set this too, harmlessly.
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      if (inBatch && depth === batchDepth && c === 93) {
        if (start !== -1) current.push([start, i - trailingSpace(text, start, i)]);
        result = { spans: current, array: [opened, i] };
        inBatch = false;
      }
      depth--;
      expectKey = false;
    } else if (c === 44 /* , */) {
      if (inBatch && depth === batchDepth) {
        if (start === -1) return null;
        current.push([start, i - trailingSpace(text, start, i)]);
        start = -1;
      }
      expectKey = true;
    } else if (c === 58 /* : */) {
      expectKey = false;
    } else if (c > 32 && inBatch && depth === batchDepth && start === -1) {
      start = i;
    }
    i++;
  }
  return depth === 0 ? result : null;
}

function trailingSpace(text: string, start: number, end: number): number {
  let k = end;
  while (k > start && text.charCodeAt(k - 1) <= 32) k--;
  return end - k;
}
