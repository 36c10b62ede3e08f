import { tsWorker } from '../store/ts-worker.ts';
import type { Example, SentimentModel } from './model.ts';

/** trainAndEvaluate() in a worker thread (train-worker.ts), so the server keeps answering meanwhile. */
export function trainInThread(examples: Example[], seed: number, now: number): Promise<SentimentModel> {
  const worker = tsWorker(new URL('./train-worker.ts', import.meta.url), { workerData: { examples, seed, now } });
  return new Promise((resolve, reject) => {
    let settled = false;
    worker.once('message', (m: { ok: true; model: SentimentModel } | { ok: false; message: string }) => {
      settled = true;
      if (m.ok) resolve(m.model);
      else reject(new Error(`training the sentiment model failed: ${m.message}`));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the sentiment model's training thread stopped (exit code ${code})`));
    });
  });
}
