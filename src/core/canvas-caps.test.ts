import { describe, expect, it } from 'vitest';
import { CANVAS_CAPS, checkCanvasCaps } from './canvas-caps.ts';
import { parseCanvas } from './canvas.ts';
import { formatJsonPath } from './json-path.ts';

/** A filter `depth` filters deep: `depth - 1` groups around one condition. */
function nestedFilter(depth: number, group: 'all' | 'any' = 'all'): unknown {
  let f: unknown = { attribute: 'a', op: 'eq', value: 1 };
  for (let i = 1; i < depth; i++) f = { [group]: [f] };
  return f;
}
/** JSON `depth` arrays and objects deep. */
function nestedJson(depth: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
}
const chain = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, type: 'user_update', config: { set: { a: 1 } }, next: i + 1 < n ? `s${i + 1}` : null }));

describe('checkCanvasCaps', () => {
  it('takes a canvas at every cap', () => {
    const body = {
      name: 'n'.repeat(CANVAS_CAPS.maxNameLength),
      audience: nestedFilter(32),
      steps: [
        ...chain(CANVAS_CAPS.maxSteps - 3),
        { id: 'split', type: 'decision_split', config: { filter: nestedFilter(32, 'any') } },
        { id: 'hook', type: 'webhook', config: { url: 'https://example.test', body: nestedJson(32), headers: { a: 'b' } } },
        { id: 'set', type: 'user_update', config: { set: { deep: nestedJson(32) } } },
      ],
    };
    expect(checkCanvasCaps(body)).toEqual({ cap: null, nul: [] });
    expect(parseCanvas(body).ok).toBe(true);
  });

  it('refuses 1,001 steps, naming the cap', () => {
    expect(checkCanvasCaps({ name: 'n', steps: chain(1_001) }).cap).toEqual({ code: 'canvas_too_many_steps', message: 'a canvas has at most 1,000 steps; this one has 1,001' });
  });

  it.each([
    ['the entry audience', { audience: nestedFilter(33) }, 'audience: a filter nests at most 32 filters deep'],
    ['a decision split', { steps: [{ id: 's', type: 'decision_split', config: { filter: nestedFilter(33, 'any') } }] }, 'steps.0.config.filter: a filter nests at most 32 filters deep'],
    ['a filter 1,500 deep', { audience: nestedFilter(1_500) }, 'audience: a filter nests at most 32 filters deep'],
  ])('refuses a filter 33 or more deep in %s', (_where, body, message) => {
    const { cap } = checkCanvasCaps({ name: 'n', ...body });
    expect(cap?.code).toBe('canvas_too_deep');
    expect(cap?.message).toContain(message);
  });

  it.each([
    ['a webhook body', { steps: [{ id: 'h', type: 'webhook', config: { body: nestedJson(33) } }] }, 'steps.0.config.body:'],
    ['webhook headers', { steps: [{ id: 'h', type: 'webhook', config: { headers: { x: nestedJson(32) } } }] }, 'steps.0.config.headers:'],
    ['a user_update value', { steps: [{ id: 'u', type: 'user_update', config: { set: { v: nestedJson(33) } } }] }, 'steps.0.config.set.v:'],
    ['a condition value', { audience: { attribute: 'a', op: 'in', value: nestedJson(33) } }, 'audience.value:'],
    ['an unknown key', { extra: nestedJson(33) }, 'extra:'],
    ['a canvas that is an array', [nestedJson(40)], '(body):'],
  ])('refuses JSON 33 or more deep in %s, naming where', (_where, body, where) => {
    const { cap } = checkCanvasCaps(Array.isArray(body) ? body : { name: 'n', ...body });
    expect(cap?.code).toBe('canvas_too_deep');
    expect(cap?.message).toMatch(new RegExp(`^${where.replace(/[().]/g, '\\$&')} JSON in a canvas .* nests at most 32 arrays and objects deep$`));
  });

  it('walks 100,000 levels and 200,000 siblings without the call stack', () => {
    const deep = JSON.parse(`{"name":"n","audience":${'{"all":['.repeat(100_000)}{}${']}'.repeat(100_000)}}`);
    expect(checkCanvasCaps(deep).cap?.code).toBe('canvas_too_deep');
    const deepBody = JSON.parse(`{"name":"n","steps":[{"id":"h","type":"webhook","config":{"body":${'['.repeat(100_000)}${']'.repeat(100_000)}}}]}`);
    expect(checkCanvasCaps(deepBody).cap?.code).toBe('canvas_too_deep');
    expect(parseCanvas(deepBody)).toMatchObject({ ok: false, code: 'canvas_too_deep' });
    const wide = { name: 'n', audience: { any: Array.from({ length: 200_000 }, () => ({ attribute: 'a', op: 'exists' })) } };
    expect(checkCanvasCaps(wide)).toEqual({ cap: null, nul: [] });
  });

  it('lists NUL in any string or key, with its place, in the order of the document', () => {
    const body = { name: 'a\u0000b', exit: { events: ['x\u0000'] }, steps: [{ id: 'h', type: 'webhook', config: { body: { 'k\u0000': ['\u0000'] } } }] };
    expect(checkCanvasCaps(body)).toEqual({
      cap: null,
      nul: [
        'name: must not contain the NUL character (U+0000)',
        'exit.events.0: must not contain the NUL character (U+0000)',
        'steps.0.config.body["k\\u0000"]: a key must not contain the NUL character (U+0000)',
        'steps.0.config.body["k\\u0000"].0: must not contain the NUL character (U+0000)',
      ],
    });
    expect(parseCanvas(body)).toMatchObject({ ok: false, code: 'invalid_canvas', problems: expect.arrayContaining(['name: must not contain the NUL character (U+0000)']) });
  });
});

describe('parseCanvas: names and ids', () => {
  it.each([
    ['a 201-character name', { name: 'n'.repeat(201) }, 'name: a canvas name is at most 200 characters'],
    ['a name with a control character', { name: 'bell\u0007' }, 'name: a canvas name must not contain control characters (U+0000–U+001F, U+007F–U+009F)'],
    ['a name with a C1 control character', { name: 'x\u0085y' }, 'name: a canvas name must not contain control characters (U+0000–U+001F, U+007F–U+009F)'],
    ['a name with a lone surrogate', { name: 'x\ud800' }, 'name: a canvas name must be valid Unicode (no lone surrogate)'],
    ['a 101-character step id', { name: 'n', steps: [{ id: 's'.repeat(101), type: 'delay' }] }, 'steps.0.id: a step id is at most 100 characters'],
    ['a step id with a newline', { name: 'n', first_step: 'a\nb' }, 'first_step: a step id must not contain control characters (U+0000–U+001F, U+007F–U+009F)'],
    ['a 256-character event name', { name: 'n', entry: { type: 'event', event: 'e'.repeat(256) } }, 'entry.event: an event name is at most 255 characters'],
  ])('refuses %s', (_what, body, problem) => {
    const parsed = parseCanvas(body);
    expect(parsed).toMatchObject({ ok: false, code: 'invalid_canvas' });
    if (!parsed.ok) expect(parsed.problems).toContain(problem);
  });

  it('takes a 200-character name of any script, and emoji', () => {
    expect(parseCanvas({ name: `${'é'.repeat(190)}😀🎉` }).ok).toBe(true);
  });
});

describe('formatJsonPath', () => {
  it.each<[PropertyKey[], string]>([
    [[], '(body)'],
    [['steps', 0, 'config', 'seconds'], 'steps.0.config.seconds'],
    [['set', '__proto__'], 'set["__proto__"]'],
    [['set', 'constructor', 'prototype'], 'set["constructor"]["prototype"]'],
    [['headers', 'x: fine; name'], 'headers["x: fine; name"]'],
    [['a.b'], '["a.b"]'],
    [['line\nbreak'], '["line\\nbreak"]'],
    [['k'.repeat(100)], `["${'k'.repeat(64)}…"]`],
    [Array.from({ length: 100_000 }, (_, i) => i), `${Array.from({ length: 16 }, (_, i) => i).join('.')}.…(99,976 more)….${Array.from({ length: 8 }, (_, i) => 99_992 + i).join('.')}`],
  ])('%j → %s', (path, shown) => {
    expect(formatJsonPath(path)).toBe(shown);
  });
});
