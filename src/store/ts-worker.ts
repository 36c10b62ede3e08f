import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * A worker thread running one of our TypeScript modules. Workers do not inherit tsx's loader on
 * Node 20, so the thread registers it first, then loads the entry. In src/store because the
 * writer's thread is the store's (which may import only its own and src/domain); the text model's
 * training thread starts the same way.
 */
export function tsWorker(entry: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`, { ...options, eval: true });
}
