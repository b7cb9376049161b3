/**
 * The step editors' pure rules: durations as a number and a unit (web/src/canvas/duration.ts: what Delay
 * and Re-entry show for stored seconds, and the words under them), and the per-step problems that
 * block Save (web/src/canvas/step-problems.ts).
 */
import { describe, expect, it } from 'vitest';
import { durationWords, splitDuration } from '../../web/src/canvas/duration.ts';
import { withProblem } from '../../web/src/canvas/step-problems.ts';

describe('durations', () => {
  it.each([
    [3_600, { n: 1, unit: 'hours' }, '1 hour'],
    [172_800, { n: 2, unit: 'days' }, '2 days'],
    [5_400, { n: 90, unit: 'minutes' }, '90 minutes'],
    [90, { n: 90, unit: 'seconds' }, '90 seconds'],
    [1, { n: 1, unit: 'seconds' }, '1 second'],
    [1_209_600, { n: 14, unit: 'days' }, '14 days'],
  ] as const)('%i seconds show as %j, in words "%s"', (seconds, split, words) => {
    expect(splitDuration(seconds)).toEqual(split);
    expect(durationWords(seconds)).toBe(words);
  });

  it('shows 0 in the unit the editor offers first, and a fraction of a second as seconds', () => {
    expect(splitDuration(0)).toEqual({ n: 0, unit: 'hours' });
    expect(splitDuration(0, 'days')).toEqual({ n: 0, unit: 'days' });
    expect(splitDuration(1.5)).toEqual({ n: 1.5, unit: 'seconds' });
  });
});

describe('step problems', () => {
  it('keeps one problem per step, clears it with null, and answers the same map when nothing changed', () => {
    const none: ReadonlyMap<string, string> = new Map();
    const one = withProblem(none, 'hook', 'Webhook: the body is not valid JSON');
    expect([...one]).toEqual([['hook', 'Webhook: the body is not valid JSON']]);
    expect(withProblem(one, 'hook', 'Webhook: the body is not valid JSON')).toBe(one);
    const two = withProblem(one, 'mark', 'User Update: attribute 1 needs a name');
    expect(two.size).toBe(2);
    expect([...withProblem(two, 'hook', null)]).toEqual([['mark', 'User Update: attribute 1 needs a name']]);
    expect(withProblem(none, 'hook', null)).toBe(none);
  });
});
