/**
 * A worker thread running one of Cohort's TypeScript modules. Cohort runs its sources through tsx
 * (bin/cohort), and a thread does not inherit the main thread's loader, so the thread registers tsx
 * first, then imports the module. Used by the hash pool and the sender thread.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function startTsWorker(moduleUrl: URL, workerData?: unknown): Worker {
  const tsxApi = pathToFileURL(join(dirname(createRequire(import.meta.url).resolve('tsx')), 'esm', 'api', 'index.mjs')).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => m.register()).then(() => import(${JSON.stringify(moduleUrl.href)}));`;
  return new Worker(bootstrap, { eval: true, workerData });
}
