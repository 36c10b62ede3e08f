// The schemas of statistical figures live in src/api-types, where the dashboard reads them too.
export { Difference, FigureWindow, NpsFigure, Proportion, Verdict } from '../api-types/figures.ts';

/** A FigureWindow from the instants a figure used: to defaults to now, the moment it was computed. */
export function figureWindow(from: number | null | undefined, to: number | null | undefined, now = Date.now()) {
  return { from: from == null ? null : new Date(from).toISOString(), to: new Date(to ?? now).toISOString() };
}
