// A sentiment model's training, in a thread of its own: tens of seconds of arithmetic for a large
// workspace, which on the main thread would hold every request waiting.
import { parentPort, workerData } from 'node:worker_threads';
import { trainAndEvaluate, type Example } from './model.ts';

const { examples, seed, now } = workerData as { examples: Example[]; seed: number; now: number };
try {
  parentPort!.postMessage({ ok: true, model: trainAndEvaluate(examples, seed, now) });
} catch (err) {
  parentPort!.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
}
