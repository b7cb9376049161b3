import type { StepCountDelta } from '../store/journey-port.ts';

export { minuteOf } from '../core/clock.ts';

/** Collects metric increments for one transaction; written with addStepCounts in that transaction. */
export class CountBook {
  readonly deltas: StepCountDelta[] = [];
  constructor(
    private readonly workspaceId: string,
    private readonly canvasId: string,
    private readonly minute: number,
  ) {}
  add(stepId: string, metric: string, count = 1, reason = ''): void {
    if (count !== 0) this.deltas.push({ workspaceId: this.workspaceId, canvasId: this.canvasId, stepId, metric, reason, minute: this.minute, count });
  }
}
