import type { StepHandler } from './step.ts';

/** Waits `seconds` from the moment the user reached the step; the timer is the entry's durable due time. */
export const delay: StepHandler<'delay'> = {
  type: 'delay',
  execute({ step, now, stepEnteredAt }) {
    const until = stepEnteredAt + (step.config.seconds ?? 0) * 1000;
    return now >= until ? { kind: 'advance', next: step.next } : { kind: 'wait', until };
  },
};
