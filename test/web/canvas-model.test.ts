/**
 * The canvas page's rules (web/src/canvas/model.ts): where Add step puts a step and what it is called,
 * the order steps are shown in, which launch refusal goes to which card, and the entry audience as typed.
 */
import { describe, expect, it } from 'vitest';
import type { CanvasBody, Step } from '../../web/src/api/types.ts';
import { addStep, connect, deleteStep, deleteStepWords, disconnect, editKey, fromLocalInput, graphColumns, graphLayout, makeFirst, parseAudience, reasonsByStep, stepOrder, toLocalInput } from '../../web/src/canvas/model.ts';

const canvas = (first_step: string | null, steps: Step[]): CanvasBody => ({ name: 'c', entry: { type: 'api' }, audience: null, first_step, steps });
const delay = (id: string, next: string | null = null): Step => ({ id, type: 'delay', config: { seconds: 1 }, next });

describe('addStep', () => {
  it('makes the first step of an empty canvas, with the type’s default config', () => {
    const { canvas: c, id } = addStep(canvas(null, []), 'audience_sync', null);
    expect(id).toBe('sync');
    expect(c.first_step).toBe('sync');
    expect(c.steps).toEqual([{ id: 'sync', type: 'audience_sync', config: { partner: 'tiktok', action: 'add', fields: [] }, next: null }]);
  });

  it('goes after the chosen step and takes over where it led; fresh ids do not collide', () => {
    const { canvas: c, id } = addStep(canvas('a', [delay('a', 'delay'), delay('delay')]), 'delay', 'a');
    expect(id).toBe('delay_2');
    expect(c.steps.map((s) => [s.id, s.next])).toEqual([
      ['a', 'delay_2'],
      ['delay_2', 'delay'],
      ['delay', null],
    ]);
  });

  it('without a chosen step, goes after the last step shown; after a decision split, on its yes branch', () => {
    const split: Step = { id: 'split', type: 'decision_split', config: {}, yes: 'y', no: 'n' };
    const { canvas: c } = addStep(canvas('split', [delay('n'), delay('y'), split]), 'webhook', 'split');
    expect(c.steps.find((s) => s.id === 'split')).toMatchObject({ yes: 'webhook', no: 'n' });
    expect(c.steps.find((s) => s.id === 'webhook')).toMatchObject({ next: 'y', config: { method: 'POST' } });

    const { canvas: d } = addStep(canvas('a', [delay('b'), delay('a', 'b')]), 'user_update', null);
    expect(d.steps.find((s) => s.id === 'b')!.next).toBe('update');
  });
});

describe('stepOrder', () => {
  it('shows the cards column by column from first_step; steps users cannot get to come after', () => {
    const split: Step = { id: 's', type: 'decision_split', config: {}, yes: 'y', no: 'n' };
    const c = canvas('s', [delay('lost'), delay('y', 'end'), delay('n', 'end'), split, delay('end'), delay('gone', 'missing')]);
    expect(stepOrder(c)).toEqual(['s', 'y', 'n', 'end', 'lost', 'gone']);
    expect(stepOrder(canvas(null, [delay('a'), delay('b')]))).toEqual(['a', 'b']);
  });
});

describe('graphColumns', () => {
  it('puts each step right of the furthest step leading to it, so that a split whose yes branch rejoins its no branch reads left to right', () => {
    const split: Step = { id: 's', type: 'decision_split', config: {}, yes: 'u', no: 'w' };
    expect(graphColumns(canvas('d', [delay('d', 's'), split, delay('w', 'u'), delay('u')]))).toEqual([['d'], ['s'], ['w'], ['u']]);
  });

  it('ranks a loop by its way in, and steps nothing reaches from column 0', () => {
    expect(graphColumns(canvas('a', [delay('a', 'b'), delay('b', 'a'), delay('lost', 'b'), delay('alone')]))).toEqual([['a', 'lost', 'alone'], ['b']]);
    expect(graphColumns(canvas(null, []))).toEqual([]);
  });
});

describe('graphLayout', () => {
  it('keeps a chain and a split’s yes branch on one lane, puts the no branch and unreached steps on new ones, never two steps in one place', () => {
    const split: Step = { id: 's', type: 'decision_split', config: {}, yes: 'u', no: 'w' };
    const { lanes } = graphLayout(canvas('d', [delay('d', 's'), split, delay('w', 'u'), delay('u'), delay('lost')]));
    expect(Object.fromEntries(lanes)).toEqual({ d: 0, s: 0, u: 0, w: 1, lost: 2 });
    const twoSplits: Step[] = [
      { id: 'a', type: 'decision_split', config: {}, yes: 'b', no: 'c' },
      { id: 'b', type: 'decision_split', config: {}, yes: 'x', no: 'y' },
      delay('c'),
      delay('x'),
      delay('y'),
    ];
    const placed = graphLayout(canvas('a', twoSplits)).lanes;
    expect(Object.fromEntries(placed)).toEqual({ a: 0, b: 0, x: 0, y: 1, c: 2 });
  });
});

describe('reasonsByStep', () => {
  it('puts `step <id>` reasons in that step, the longest matching id winning, and the rest at the top', () => {
    const { top, byStep } = reasonsByStep(
      ['step a b: audience_sync needs an audience_id', 'step a: delay needs seconds', 'step a points at a missing step: x', 'TikTok: not connected', 'steps a -> a form a loop'],
      ['a', 'a b'],
    );
    expect(byStep.get('a b')).toEqual(['step a b: audience_sync needs an audience_id']);
    expect(byStep.get('a')).toEqual(['step a: delay needs seconds', 'step a points at a missing step: x']);
    expect(top).toEqual(['TikTok: not connected', 'steps a -> a form a loop']);
  });
});

describe('parseAudience', () => {
  it('empty is every profile; a filter is taken; bad JSON or a bad shape is refused with a message', () => {
    expect(parseAudience('  ')).toEqual({ ok: true, audience: null });
    expect(parseAudience('{"any":[{"attribute":"vip","op":"exists"}]}')).toEqual({ ok: true, audience: { any: [{ attribute: 'vip', op: 'exists' }] } });
    expect(parseAudience('{"all":[')).toMatchObject({ ok: false, message: expect.stringContaining('not valid JSON') });
    expect(parseAudience('{"all":[{"attribute":"vip","op":"is"}]}')).toMatchObject({ ok: false, message: expect.stringContaining('the filter.all[0] needs an "op"') });
    expect(parseAudience('[1]')).toMatchObject({ ok: false, message: expect.stringContaining('must be an object') });
  });
});

describe('Start at', () => {
  it('shows an ISO time as local datetime-local text and reads it back; empty is at launch', () => {
    const iso = '2030-01-02T03:04:00.000Z';
    expect(fromLocalInput(toLocalInput(iso))).toBe(iso);
    expect(toLocalInput(null)).toBe('');
    expect(fromLocalInput('')).toBeNull();
  });
});

describe('graph operations', () => {
  const split = (id: string, yes: string | null, no: string | null): Step => ({ id, type: 'decision_split', config: {}, yes, no });
  const links = (c: CanvasBody) => [c.first_step, ...c.steps.map((s) => (s.type === 'decision_split' ? `${s.id}:${s.yes}/${s.no}` : `${s.id}:${s.next}`))];

  it('connect sets one branch; a split has yes and no, other steps next; self-links, missing steps and wrong branches change nothing', () => {
    const c = canvas('s', [split('s', null, null), delay('a'), delay('b')]);
    expect(links(connect(c, 's', 'no', 'b'))).toEqual(['s', 's:null/b', 'a:null', 'b:null']);
    expect(links(connect(connect(c, 'a', 'next', 'b'), 's', 'yes', 'a'))).toEqual(['s', 's:a/null', 'a:b', 'b:null']);
    expect(connect(c, 'a', 'next', 'a')).toBe(c);
    expect(connect(c, 'a', 'next', 'missing')).toBe(c);
    expect(connect(c, 'a', 'yes', 'b')).toBe(c);
    expect(connect(c, 's', 'next', 'b')).toBe(c);
    expect(links(disconnect(connect(c, 'a', 'next', 'b'), 'a', 'next'))).toEqual(['s', 's:null/null', 'a:null', 'b:null']);
  });

  it('makeFirst points the entry at an existing step, or at none', () => {
    const c = canvas('a', [delay('a'), delay('b')]);
    expect(makeFirst(c, 'b').first_step).toBe('b');
    expect(makeFirst(c, 'nope')).toBe(c);
    expect(makeFirst(c, null).first_step).toBeNull();
  });

  it('deleteStep reattaches what led to a step with a single next to where it led, including first_step', () => {
    const c = canvas('a', [delay('a', 'b'), split('s', 'b', 'b'), delay('b', 'c'), delay('c')]);
    expect(links(deleteStep(c, 'b'))).toEqual(['a', 'a:c', 's:c/c', 'c:null']);
    expect(links(deleteStep(c, 'a'))).toEqual(['b', 's:b/b', 'b:c', 'c:null']);
    expect(deleteStepWords(c, 'b')).toBe('Delete step b? step a, step s will lead to step c instead, where it led.');
    // A step leading back to what led to it: the link is cleared, not turned into a self-loop.
    expect(links(deleteStep(canvas('a', [delay('a', 'b'), delay('b', 'a')]), 'b'))).toEqual(['a', 'a:null']);
  });

  it('deleteStep of a split clears the links into it; of an exit step, they lead to the exit', () => {
    const c = canvas('s', [delay('a', 's'), split('s', 'y', 'n'), delay('y'), delay('n')]);
    expect(links(deleteStep(c, 's'))).toEqual([null, 'a:null', 'y:null', 'n:null']);
    expect(deleteStepWords(c, 's')).toBe('Delete step s? A split has two ways on, so the links from the entry, step a are cleared (users exit there).');
    expect(links(deleteStep(c, 'y'))).toEqual(['s', 'a:s', 's:null/n', 'n:null']);
    expect(deleteStepWords(c, 'a')).toBe('Delete step a? Nothing leads to it.');
  });

  it('addStep on a split goes on the branch chosen', () => {
    const { canvas: c, id } = addStep(canvas('s', [split('s', 'y', null), delay('y')]), 'delay', 's', 'no');
    expect(links(c)).toEqual(['s', `s:y/${id}`, `${id}:null`, 'y:null']);
  });

  it('editKey names the one field or config key an edit changed, and nothing for links or several changes', () => {
    const c = canvas('a', [delay('a', 'b'), delay('b')]);
    expect(editKey(c, { ...c, name: 'x' })).toBe('name');
    const retimed = { ...c, steps: c.steps.map((s) => (s.id === 'a' ? { ...s, config: { seconds: 5 } } : s)) };
    expect(editKey(c, retimed)).toBe('step a seconds');
    expect(editKey(c, connect(c, 'a', 'next', null))).toBeNull();
    expect(editKey(c, { ...retimed, name: 'x' })).toBeNull();
    expect(editKey(c, deleteStep(c, 'b'))).toBeNull();
  });
});
