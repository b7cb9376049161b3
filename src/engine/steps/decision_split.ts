import { matches } from '../../core/filter.ts';
import { attributeReader } from '../profile-view.ts';
import type { StepHandler } from './step.ts';

/** Sends the user down `yes` when the profile matches the filter, else down `no`. */
export const decision_split: StepHandler<'decision_split'> = {
  type: 'decision_split',
  execute({ step, profile }) {
    return { kind: 'advance', next: matches(step.config.filter, attributeReader(profile)) ? step.yes : step.no };
  },
};
