import type { StepIO } from './steps/index.ts';

/** The plain transport: fetch with a per-request timeout, no redirects followed. */
export function fetchIO(): StepIO {
  return {
    async http(req) {
      const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(req.timeoutMs), redirect: 'manual' });
      await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
      return { status: res.status };
    },
  };
}
