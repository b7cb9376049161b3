import { describe, expect, it } from 'vitest';
import { parseCanvas, type CanvasDefinition } from '../core/canvas.ts';
import { launchWarnings, type WebhookTargetCheck } from './launch-warnings.ts';

function canvas(urls: Record<string, string>): CanvasDefinition {
  const ids = Object.keys(urls);
  const parsed = parseCanvas({
    name: 'hooks',
    first_step: ids[0] ?? null,
    steps: [...ids.map((id, i) => ({ id, type: 'webhook', next: ids[i + 1] ?? null, config: { url: urls[id] } })), { id: 'wait', type: 'delay', next: null, config: { seconds: 1 } }],
  });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.canvas;
}

describe('launchWarnings', () => {
  const refuseLoopback: WebhookTargetCheck = async (url) => (url.includes('127.0.0.1') ? { code: 'webhook_blocked', message: `refused ${new URL(url).hostname}` } : null);

  it('one warning per webhook step the check refuses, in step order', async () => {
    const warnings = await launchWarnings(canvas({ a: 'http://127.0.0.1/a', b: 'https://hooks.example.test/', c: 'http://127.0.0.1:8080/c' }), refuseLoopback);
    expect(warnings).toEqual([
      { step_id: 'a', code: 'webhook_blocked', message: 'refused 127.0.0.1' },
      { step_id: 'c', code: 'webhook_blocked', message: 'refused 127.0.0.1' },
    ]);
  });

  it('does not check a URL whose host is a template (known only per user)', async () => {
    const asked: string[] = [];
    const check: WebhookTargetCheck = async (url) => {
      asked.push(url);
      return null;
    };
    expect(await launchWarnings(canvas({ a: 'https://{{tenant}}.example.test/x', b: 'http://{{host}}/', c: 'https://hooks.example.test/{{external_id}}' }), check)).toEqual([]);
    expect(asked).toEqual(['https://hooks.example.test/{{external_id}}']);
  });

  it('a check that hangs or throws yields no warning, and the launch answers within the budget', async () => {
    const hang: WebhookTargetCheck = (url) => (url.includes('hang') ? new Promise(() => undefined) : url.includes('throw') ? Promise.reject(new Error('resolver down')) : refuseLoopback(url));
    const started = Date.now();
    const warnings = await launchWarnings(canvas({ a: 'https://hang.example.test/', b: 'https://throw.example.test/', c: 'http://127.0.0.1/' }), hang, 50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(warnings).toEqual([{ step_id: 'c', code: 'webhook_blocked', message: 'refused 127.0.0.1' }]);
  });
});
