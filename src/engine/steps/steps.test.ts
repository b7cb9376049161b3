import { describe, expect, it } from 'vitest';
import { parseCanvas, type StepDefinition, type StepType } from '../../core/canvas.ts';
import { hexOf } from '../../core/digest-rows.ts';
import type { Entry } from '../../store/journey-port.ts';
import type { Profile } from '../../store/port.ts';
import { sha256Hex } from '../../partners/tiktok/identifiers.ts';
import { stepRegistry, type StepContext, type StepHandler } from './index.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const profile = (over: Partial<Profile> = {}): Profile => ({
  id: 1, workspaceId: 'ws', externalId: 'u1', email: null, phone: null, first_name: null, last_name: null, country: null,
  language: null, idfa: null, gaid: null, ads_tracking_enabled: null, custom: {}, createdAt: NOW, updatedAt: NOW, ...over,
});
const entry = (over: Partial<Entry> = {}): Entry => ({
  id: 7, workspaceId: 'ws', canvasId: 'cv', version: 1, profileId: 1, externalId: 'u1', stepId: 's', status: 'active', dueAt: NOW,
  stepEnteredAt: NOW, enteredAt: NOW, exitedAt: null, exitRequested: false, context: null, dispatchId: null, ...over,
});
function step(json: unknown): StepDefinition {
  const parsed = parseCanvas({ name: 'x', steps: [json] });
  if (!parsed.ok) throw new Error(parsed.problems.join('; '));
  return parsed.canvas.steps[0]!;
}
function run(s: StepDefinition, p: Profile, opts: { now?: number; stepEnteredAt?: number; entry?: Entry; defaultCountry?: string } = {}) {
  const ctx = { step: s, profile: p, entry: opts.entry ?? entry(), now: opts.now ?? NOW, stepEnteredAt: opts.stepEnteredAt ?? NOW, defaultCountry: opts.defaultCountry ?? null } as StepContext<StepType>;
  return (stepRegistry[s.type] as StepHandler<StepType>).execute(ctx);
}

describe('audience_sync', () => {
  const sync = step({ id: 's', type: 'audience_sync', next: 'n', config: { advertiser_id: 'a', audience_id: 'b', fields: ['email', 'phone', 'gaid'] } });
  it('hashes the selected fields it can use and writes a pending item; the user advances at once', async () => {
    const r = await run(sync, profile({ email: ' Ann@Example.com ', phone: '(415) 555-2671', country: 'US', idfa: 'not-selected' }));
    expect(r).toMatchObject({ kind: 'advance', next: 'n', effects: [{ kind: 'sync_item', outcome: 'pending', reason: null }] });
    const effect = r.kind === 'advance' ? r.effects?.[0] : undefined;
    expect(effect?.kind === 'sync_item' && effect.hashes && hexOf(effect.hashes)).toEqual({ email: sha256Hex('ann@example.com'), phone: sha256Hex('+14155552671') });
  });
  it('is not synced (missing_fields) when no selected field is usable, and still advances', async () => {
    expect(await run(sync, profile({ email: 'not-an-email', idfa: 'abc' }))).toEqual({ kind: 'advance', next: 'n', effects: [{ kind: 'sync_item', outcome: 'not_synced', reason: 'missing_fields', hashes: null }] });
  });
  it('reads a national phone in the workspace default country', async () => {
    const r = await run(sync, profile({ phone: '020 7946 0958' }), { defaultCountry: 'GB' });
    expect(r.kind === 'advance' && r.effects?.[0]?.kind === 'sync_item' && r.effects[0].outcome).toBe('pending');
  });
});

describe('delay', () => {
  const d = step({ id: 'd', type: 'delay', next: 'n', config: { seconds: 3600 } });
  it.each([
    [NOW, { kind: 'wait', until: NOW + 3_600_000 }],
    [NOW + 3_599_999, { kind: 'wait', until: NOW + 3_600_000 }],
    [NOW + 3_600_000, { kind: 'advance', next: 'n' }],
  ])('at %i → %j (counted from arrival at the step)', async (now, expected) => {
    expect(await run(d, profile(), { now, stepEnteredAt: NOW })).toEqual(expected);
  });
});

describe('decision_split', () => {
  const split = step({ id: 'x', type: 'decision_split', yes: 'y', no: null, config: { filter: { any: [{ attribute: 'vip', op: 'eq', value: true }, { attribute: 'country', op: 'in', value: ['FR', 'DE'] }] } } });
  it.each([
    [profile({ custom: { vip: true } }), 'y'],
    [profile({ country: 'DE' }), 'y'],
    [profile({ custom: { vip: false }, country: 'US' }), null],
    [profile(), null],
  ])('%# → %s', async (p, next) => {
    expect(await run(split, p)).toEqual({ kind: 'advance', next });
  });
});

describe('user_update', () => {
  it('returns the attributes to set as an effect', async () => {
    const u = step({ id: 'u', type: 'user_update', next: null, config: { set: { retargeted: true, email: null } } });
    expect(await run(u, profile())).toEqual({ kind: 'advance', next: null, effects: [{ kind: 'profile_update', set: { retargeted: true, email: null } }] });
  });
});

describe('webhook', () => {
  it('renders {{external_id}}, {{attribute}} and {{context.key}} into the request and parks the user (no HTTP here)', () => {
    const hook = step({ id: 'h', type: 'webhook', next: 'n', config: { url: 'https://example.test/hook/{{external_id}}', method: 'POST', headers: { 'x-plan': '{{plan}}' }, body: { user: '{{external_id}}', name: '{{first_name}}', plan: '{{plan}}', offer: '{{context.offer}}', none: '{{nope}}' }, timeout_ms: 2_000 } });
    const r = run(hook, profile({ first_name: 'Ann', custom: { plan: 'gold' } }), { entry: entry({ context: { offer: 'SPRING' } }) });
    expect(r).toEqual({
      kind: 'park',
      effects: [{ kind: 'webhook_request', request: { url: 'https://example.test/hook/u1', method: 'POST', headers: { 'content-type': 'application/json', 'user-agent': 'Cohort-Webhook/1', 'x-plan': 'gold' }, body: expect.any(String), timeoutMs: 2_000 } }],
    });
    const effect = r.kind === 'park' ? r.effects[0] : undefined;
    expect(JSON.parse(effect?.kind === 'webhook_request' ? effect.request.body! : '')).toEqual({ user: 'u1', name: 'Ann', plan: 'gold', offer: 'SPRING', none: '' });
  });

  it('sends no body with GET, and leaves the timeout to the sender when the step sets none', () => {
    const r = run(step({ id: 'h', type: 'webhook', next: null, config: { url: 'https://example.test/x', method: 'GET', body: { a: 1 } } }), profile());
    expect(r).toMatchObject({ kind: 'park', effects: [{ request: { method: 'GET', body: null, timeoutMs: null } }] });
  });

  it('a body past the caps throws a typed error (the executor fails that entry alone)', () => {
    const deep = JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)) as unknown;
    const hook = step({ id: 'h', type: 'webhook', next: null, config: { url: 'https://example.test/x' } });
    const withBody = { ...hook, config: { ...hook.config, body: deep } } as StepDefinition;
    expect(() => run(withBody, profile())).toThrow(expect.objectContaining({ code: 'template_too_deep' }));
    const big = step({ id: 'h', type: 'webhook', next: null, config: { url: 'https://example.test/{{big}}', headers: { a: '{{big}}' }, body: ['{{big}}'] } });
    expect(() => run(big, profile({ custom: { big: 'x'.repeat(400_000) } }))).toThrow(expect.objectContaining({ code: 'template_too_large' }));
  });
});
