import type { StepHandler } from './step.ts';

/** Sets attributes on the profile (`null` removes one); written in the transaction that moves the user. */
export const user_update: StepHandler<'user_update'> = {
  type: 'user_update',
  execute({ step }) {
    return { kind: 'advance', next: step.next, effects: [{ kind: 'profile_update', set: step.config.set as Record<string, never> }] };
  },
};
