import type { StepType } from '../../core/canvas.ts';
import { audience_sync } from './audience_sync.ts';
import { decision_split } from './decision_split.ts';
import { delay } from './delay.ts';
import type { StepHandler } from './step.ts';
import { user_update } from './user_update.ts';
import { webhook } from './webhook.ts';

/** Exhaustive: a new StepType does not compile until it has a handler here. */
export const stepRegistry: { readonly [K in StepType]: StepHandler<K> } = { audience_sync, delay, decision_split, webhook, user_update };

export type { Effect, HttpRequest, StepContext, StepHandler, StepHashes, StepIO, StepResult } from './step.ts';
