/**
 * One step of the canvas as a card: `Step <id> · <Type>` (the region's name carries the id, so that a
 * launch refusal naming the step is found in it), its settings, where it leads, and the launch
 * refusals and warnings about it. The settings themselves are StepSettings' (one editor per type).
 */
import { useId, type Ref } from 'react';
import type { Step } from '../api/types.ts';
import { branchesOf, STEP_WORDS } from './model.ts';
import { StepSettings } from './StepSettings.tsx';

export interface StepCardProps {
  ref?: Ref<HTMLElement>;
  step: Step;
  /** Every step's type by id, to say where this one leads. */
  types: ReadonlyMap<string, Step['type']>;
  editable: boolean;
  chosen: boolean;
  /** Launch refusals naming this step. */
  reasons: readonly string[];
  /** Launch warnings about it (a webhook Cohort will not call, say). */
  warnings: readonly string[];
  /** What launch would refuse about it as edited now (validation as you edit): shown calmly, not as an alert. */
  live?: readonly string[];
  onChange: (step: Step) => void;
  onChoose: () => void;
}

export function StepCard({ ref, step, types, editable, chosen, reasons, warnings, live = [], onChange, onChoose }: StepCardProps) {
  const uid = useId();
  const headingId = `${uid}-heading`;
  const words = STEP_WORDS[step.type];

  const target = (to: string | null) => {
    if (to === null) return 'the user exits the canvas';
    const type = types.get(to);
    return type ? `step ${to} (${STEP_WORDS[type]})` : `step ${to}, which does not exist`;
  };

  return (
    <section ref={ref} className={`card step-card${chosen ? ' chosen' : ''}`} aria-labelledby={headingId} tabIndex={-1} onFocus={onChoose} onClick={onChoose}>
      <h3 id={headingId}>
        Step {step.id} · {words}
      </h3>
      {reasons.map((reason) => (
        <p key={reason} className="alert error" role="alert">
          {reason}
        </p>
      ))}
      {warnings.map((warning) => (
        <p key={warning} className="alert warn" role="alert">
          {warning}
        </p>
      ))}

      {live.length > 0 ? (
        <div className="live-problems">
          <p>Before this can launch:</p>
          <ul>
            {live.map((problem) => (
              // Inside the step's own card, "step <id>: " would only repeat its heading.
              <li key={problem}>{problem.startsWith(`step ${step.id}: `) ? problem.slice(`step ${step.id}: `.length) : problem}</li>
            ))}
          </ul>
        </div>
      ) : null}

      <StepSettings step={step} editable={editable} onChange={onChange} />

      <p className="step-next">
        {branchesOf(step).map(({ branch, to }) => (
          <span key={branch}>
            {branch === 'next' ? 'Next' : branch === 'yes' ? 'If yes' : 'If no'}: {target(to)}.{' '}
          </span>
        ))}
      </p>
    </section>
  );
}
