import { describe, expect, it } from 'vitest';
import { SPEC_CANVAS } from '../../test/fixtures/spec-canvas.ts';
import { launchProblems, definitionProblems, parseCanvas, type CanvasDefinition, type LaunchContext } from './canvas.ts';

const CONNECTED: LaunchContext = { tiktok: { status: 'connected', advertiserIds: ['7000000000000000001'] } };

/** The example of spec §3, which must parse and launch as it is. */
const SPEC_EXAMPLE = SPEC_CANVAS;

function canvas(overrides: Record<string, unknown> = {}): CanvasDefinition {
  const parsed = parseCanvas({ ...SPEC_EXAMPLE, ...overrides });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.canvas;
}

const step = (s: Record<string, unknown>) => s;

describe('parseCanvas', () => {
  it('accepts the example of spec §3 and keeps it as written', () => {
    const parsed = parseCanvas(SPEC_EXAMPLE);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.canvas).toMatchObject(SPEC_EXAMPLE);
  });

  it('fills the defaults of a minimal draft', () => {
    expect(parseCanvas({ name: 'n' })).toEqual({
      ok: true,
      canvas: { name: 'n', entry: { type: 'api' }, audience: null, reentry: { allowed: false, after_seconds: 0 }, exit: { events: [] }, first_step: null, steps: [] },
    });
  });

  it('accepts an incomplete draft: completeness is for launch', () => {
    const parsed = parseCanvas({ name: 'n', first_step: 'nowhere', steps: [{ id: 'a', type: 'audience_sync', next: 'ghost' }, { id: 'b', type: 'delay' }], entry: { type: 'event' } });
    expect(parsed.ok).toBe(true);
  });

  it.each([
    ['not an object', [1], ['(body): Invalid input: expected object, received array']],
    ['null', null, ['(body): Invalid input: expected object, received null']],
    ['no name', {}, ['name: Invalid input: expected string, received undefined']],
    ['an unknown step type', { name: 'n', steps: [{ id: 'a', type: 'sms' }] }, ["steps.0.type: Invalid discriminator value. Expected 'audience_sync' | 'delay' | 'decision_split' | 'webhook' | 'user_update'"]],
    ['an unknown entry type', { name: 'n', entry: { type: 'cron' } }, ["entry.type: Invalid discriminator value. Expected 'api' | 'event' | 'scheduled'"]],
    ['a time without an offset', { name: 'n', entry: { type: 'scheduled', at: '2026-12-01T10:00:00' } }, ['entry.at: Invalid ISO datetime']],
    ['an impossible date', { name: 'n', entry: { type: 'scheduled', at: '2026-02-30T10:00:00Z' } }, ['entry.at: Invalid ISO datetime']],
    ['an unknown op, deep in a filter', { name: 'n', audience: { all: [{ any: [{ attribute: 'x', op: 'like', value: 1 }] }] } }, ['audience.all.0.any.0.op: Invalid option: expected one of "eq"|"neq"|"gt"|"gte"|"lt"|"lte"|"in"|"contains"|"exists"|"not_exists"']],
    ['a condition without op', { name: 'n', audience: { attribute: 'x', value: 1 } }, ['audience.op: a condition needs an op, one of eq, neq, gt, gte, lt, lte, in, contains, exists, not_exists']],
    ['a filter mixing a group and a condition', { name: 'n', audience: { all: [], attribute: 'x', op: 'eq', value: 1 } }, ['audience: a filter is exactly one of {"all":[…]}, {"any":[…]} or {"attribute","op","value"}']],
    ['an empty filter', { name: 'n', audience: {} }, ['audience: a filter is exactly one of {"all":[…]}, {"any":[…]} or {"attribute","op","value"}']],
    ['an unknown key in a condition', { name: 'n', audience: { attribute: 'x', op: 'eq', value: 1, negate: true } }, ['audience: Unrecognized key: "negate"']],
    ['a bad sync field', { name: 'n', steps: [{ id: 'a', type: 'audience_sync', config: { fields: ['email', 'fax'] } }] }, ['steps.0.config.fields.1: Invalid option: expected one of "email"|"phone"|"idfa"|"gaid"']],
  ])('refuses %s, naming the path', (_what, body, problems) => {
    expect(parseCanvas(body)).toEqual({ ok: false, code: 'invalid_canvas', problems });
  });

  it('lists every shape problem at once', () => {
    const parsed = parseCanvas({ name: 3, reentry: { allowed: 'yes' }, steps: [{ id: '', type: 'delay', config: { seconds: -1 } }, { type: 'webhook' }] });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.map((p) => p.split(':')[0])).toEqual(['name', 'reentry.allowed', 'steps.0.id', 'steps.0.config.seconds', 'steps.1.id']);
  });
});

describe('launchProblems', () => {
  it('has nothing against the example of spec §3', () => {
    expect(launchProblems(canvas(), CONNECTED)).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, LaunchContext, string[]]>([
    ['no first step', { first_step: null }, CONNECTED, ['the canvas has no first step (first_step)']],
    ['a first step that does not exist', { first_step: 'ghost' }, CONNECTED, ['first_step points at a missing step: ghost']],
    ['an empty graph', { first_step: null, steps: [] }, CONNECTED, ['the canvas has no first step (first_step)']],
    ['an event entry without its event', { entry: { type: 'event' } }, CONNECTED, ['entry: an event entry needs the event name (entry.event)']],
    ['a dangling next', { first_step: 'a', steps: [step({ id: 'a', type: 'delay', config: { seconds: 1 }, next: 'ghost' })] }, CONNECTED, ['step a points at a missing step: ghost']],
    ['a dangling yes/no', { first_step: 's', steps: [step({ id: 's', type: 'decision_split', config: { filter: { attribute: 'x', op: 'exists' } }, yes: 'y', no: 'n' })] }, CONNECTED, ['step s points at a missing step: y', 'step s points at a missing step: n']],
    ['a duplicate step id', { first_step: 'a', steps: [step({ id: 'a', type: 'delay', config: { seconds: 1 } }), step({ id: 'a', type: 'delay', config: { seconds: 2 } })] }, CONNECTED, ['step a: the id is used by more than one step']],
    ['an empty audience_sync', { first_step: 'a', steps: [step({ id: 'a', type: 'audience_sync' })] }, CONNECTED, ['step a: audience_sync needs an advertiser_id', 'step a: audience_sync needs an audience_id', 'step a: audience_sync needs at least one of email, phone, idfa, gaid in fields']],
    ['an advertiser the connection lacks', { first_step: 'a', steps: [step({ id: 'a', type: 'audience_sync', config: { advertiser_id: '7000000000000000009', audience_id: 'x', fields: ['email'] } })] }, CONNECTED, ['step a: advertiser 7000000000000000009 is not one of the TikTok connection\'s ad accounts']],
    ['a disconnected TikTok', {}, { tiktok: { status: 'disconnected', advertiserIds: [] } }, ['TikTok: not connected; connect TikTok (Partners) before launching a canvas with an audience_sync step']],
    ['an invalid token, which still knows its ad accounts', { steps: [SPEC_EXAMPLE.steps[0], step({ id: 'wait', type: 'delay', config: { seconds: 1 }, next: null })] }, { tiktok: { status: 'invalid_token', advertiserIds: ['7000000000000000002'] } }, [
      "step sync: advertiser 7000000000000000001 is not one of the TikTok connection's ad accounts",
      'TikTok: the connection token is invalid; an admin must reconnect TikTok before this canvas can launch',
    ]],
    ['a delay without seconds', { first_step: 'a', steps: [step({ id: 'a', type: 'delay' })] }, CONNECTED, ['step a: delay needs seconds']],
    ['a split without a filter', { first_step: 'a', steps: [step({ id: 'a', type: 'decision_split' })] }, CONNECTED, ['step a: decision_split needs a filter']],
    ['a webhook without an http url', { first_step: 'a', steps: [step({ id: 'a', type: 'webhook', config: { url: 'ftp://x' } })] }, CONNECTED, ['step a: webhook needs an http(s) url']],
    ['a user_update that sets nothing', { first_step: 'a', steps: [step({ id: 'a', type: 'user_update' })] }, CONNECTED, ['step a: user_update needs at least one attribute in set']],
    ['conditions that cannot match', { audience: { any: [{ attribute: 'country', op: 'eq' }, { attribute: 'plan', op: 'in', value: 'gold' }, { attribute: 'age', op: 'gt', value: { n: 1 } }] } }, CONNECTED, [
      'audience.any.0: the condition on country (eq) needs a value',
      'audience.any.1: the condition on plan (in) needs a list of values',
      'audience.any.2: the condition on age (gt) compares with a number or a string',
    ]],
    ['a split condition that cannot match', { first_step: 's', steps: [step({ id: 's', type: 'decision_split', config: { filter: { attribute: 'vip', op: 'eq' } } })] }, CONNECTED, ['step s: config.filter: the condition on vip (eq) needs a value']],
    ['a loop without a delay', { first_step: 'a', steps: [step({ id: 'a', type: 'user_update', config: { set: { n: 1 } }, next: 'b' }), step({ id: 'b', type: 'decision_split', config: { filter: { attribute: 'n', op: 'exists' } }, yes: 'a', no: null })] }, CONNECTED, ['steps a -> b -> a form a loop without a delay; a user would go round it without end']],
    ['a loop through a zero-second delay', { first_step: 'a', steps: [step({ id: 'a', type: 'delay', config: { seconds: 0 }, next: 'a' })] }, CONNECTED, ['steps a -> a form a loop without a delay; a user would go round it without end']],
  ])('refuses %s', (_what, overrides, ctx, problems) => {
    expect(launchProblems(canvas(overrides), ctx)).toEqual(problems);
  });

  it('allows a loop that waits', () => {
    const looping = canvas({ first_step: 'wait', steps: [step({ id: 'wait', type: 'delay', config: { seconds: 86_400 }, next: 'check' }), step({ id: 'check', type: 'decision_split', config: { filter: { attribute: 'paid', op: 'exists' } }, yes: null, no: 'wait' })] });
    expect(launchProblems(looping, CONNECTED)).toEqual([]);
  });

  it('lists every reason at once', () => {
    const broken = canvas({
      entry: { type: 'event' },
      first_step: null,
      steps: [step({ id: 'sync', type: 'audience_sync', next: 'ghost', config: { advertiser_id: '7000000000000000009' } })],
    });
    expect(launchProblems(broken, { tiktok: { status: 'connected', advertiserIds: ['7000000000000000001'] } })).toEqual([
      'the canvas has no first step (first_step)',
      'entry: an event entry needs the event name (entry.event)',
      'step sync points at a missing step: ghost',
      "step sync: advertiser 7000000000000000009 is not one of the TikTok connection's ad accounts",
      'step sync: audience_sync needs an audience_id',
      'step sync: audience_sync needs at least one of email, phone, idfa, gaid in fields',
    ]);
  });

  it('checks a canvas stored before the caps without the call stack: a 20,000-step chain, a loop round it, a filter 100,000 deep', () => {
    const n = 20_000;
    const steps = Array.from({ length: n }, (_, i) => ({ id: `s${i}`, type: 'user_update' as const, config: { set: { a: 1 } }, next: i + 1 < n ? `s${i + 1}` : null }));
    const stored: CanvasDefinition = { ...canvas(), audience: null, first_step: 's0', steps };
    expect(launchProblems(stored, CONNECTED)).toEqual([]);
    const looped = { ...stored, steps: steps.map((s, i) => (i === n - 1 ? { ...s, next: 's0' } : s)) };
    const problems = launchProblems(looped, CONNECTED);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^steps s0 -> s1 -> .* -> s19999 -> s0 form a loop without a delay/);

    let deep: NonNullable<CanvasDefinition['audience']> = { attribute: 'x', op: 'eq' };
    for (let i = 0; i < 100_000; i++) deep = { all: [deep] };
    const reasons = launchProblems({ ...stored, audience: deep }, CONNECTED);
    expect(reasons).toEqual([`audience${'.all.0'.repeat(100_000)}: the condition on x (eq) needs a value`]);
  });

  it('definitionProblems leaves the connection status out (edits of an active canvas)', () => {
    const disconnected: LaunchContext = { tiktok: { status: 'invalid_token', advertiserIds: ['7000000000000000001'] } };
    expect(definitionProblems(canvas(), disconnected)).toEqual([]);
    expect(launchProblems(canvas(), disconnected)).toHaveLength(1);
  });
});
