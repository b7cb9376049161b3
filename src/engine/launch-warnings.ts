/**
 * What a launch answers besides the canvas (spec §9: "launch warns"): webhook steps whose target the
 * guard (webhooks/guarded-http.ts) would refuse. A warning never blocks the launch: the address may
 * change, the allow list may be edited, and the delivery is refused (and recorded) at send time anyway.
 */
import type { CanvasDefinition } from '../core/canvas.ts';

export interface LaunchWarning {
  step_id: string;
  code: string;
  message: string;
}

/** Whether a webhook URL would be refused, without connecting: the refusal, or null (allowed, or unknown). */
export type WebhookTargetCheck = (url: string) => Promise<{ code: string; message: string } | null>;

/** DNS at launch is advice: a slow resolver delays the answer at most this long and then says nothing. */
const CHECK_BUDGET_MS = 2_000;

/** A template in the scheme or host (`https://{{host}}/…`) is only known per user: not checked here. */
const TEMPLATED_ORIGIN = /^[^/]*\/\/[^/?#]*\{\{/;

export async function launchWarnings(definition: CanvasDefinition, check: WebhookTargetCheck, budgetMs = CHECK_BUDGET_MS): Promise<LaunchWarning[]> {
  const hooks = definition.steps.flatMap((s) => (s.type === 'webhook' && s.config.url && !TEMPLATED_ORIGIN.test(s.config.url) ? [{ id: s.id, url: s.config.url }] : []));
  if (hooks.length === 0) return [];
  let timer: NodeJS.Timeout | undefined;
  const outOfTime = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), budgetMs)));
  try {
    const refusals = await Promise.all(hooks.map((h) => Promise.race([check(h.url).catch(() => null), outOfTime])));
    return hooks.flatMap((h, i) => {
      const r = refusals[i];
      return r ? [{ step_id: h.id, code: r.code, message: r.message }] : [];
    });
  } finally {
    clearTimeout(timer);
  }
}
