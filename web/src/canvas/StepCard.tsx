/**
 * One step of the canvas as a card: `Step <id> · <Type>` (the region's name carries the id, so that a
 * launch refusal naming the step is found in it), its settings, where it leads, and the launch
 * refusals and warnings about it. The settings themselves are StepSettings' (one editor per type).
 * On an editable canvas its links are edited here without a mouse: a select per branch (**Next step**,
 * or **If yes** / **If no**), **Make first step** and **Delete step** (asking first).
 */
import { useMutation } from '@tanstack/react-query';
import { useId, type Ref } from 'react';
import type { Step } from '../api/types.ts';
import { ConfirmAction } from '../components/ConfirmAction.tsx';
import { branchesOf, STEP_WORDS, type Branch } from './model.ts';
import { StepSettings } from './StepSettings.tsx';

const BRANCH_LABEL: Record<Branch, string> = { next: 'Next step', yes: 'If yes', no: 'If no' };
const BRANCH_WORDS: Record<Branch, string> = { next: 'Next', yes: 'If yes', no: 'If no' };

export interface StepCardProps {
  ref?: Ref<HTMLElement>;
  step: Step;
  /** Every step's type by id, in the order shown, to say and choose where this one leads. */
  types: ReadonlyMap<string, Step['type']>;
  /** Whether users enter the canvas at this step. */
  first: boolean;
  /** What deleting it does, asked before it is done. */
  deleteQuestion: string;
  onLink: (branch: Branch, to: string | null) => void;
  onMakeFirst: () => void;
  onDelete: () => void;
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

export function StepCard({ ref, step, types, first, deleteQuestion, editable, chosen, reasons, warnings, live = [], onChange, onChoose, onLink, onMakeFirst, onDelete }: StepCardProps) {
  const uid = useId();
  // ConfirmAction asks before a mutation; deleting is a local edit, undoable, so this one cannot fail.
  const deletion = useMutation({ mutationFn: () => Promise.resolve(onDelete()) });
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

      {editable ? (
        <div className="step-links">
          <div className="row">
            {branchesOf(step).map(({ branch, to }) => (
              <div key={branch} className="stack">
                <label htmlFor={`${uid}-${branch}`}>{BRANCH_LABEL[branch]}</label>
                <select id={`${uid}-${branch}`} value={to ?? ''} onChange={(e) => onLink(branch, e.target.value === '' ? null : e.target.value)}>
                  <option value="">Exit the canvas</option>
                  {[...types].map(([id, type]) =>
                    id === step.id ? null : (
                      <option key={id} value={id}>
                        {id} · {STEP_WORDS[type]}
                      </option>
                    ),
                  )}
                  {to !== null && !types.has(to) ? <option value={to}>{to} (a missing step)</option> : null}
                </select>
              </div>
            ))}
          </div>
          <div className="row">
            {first ? <span className="badge">First step</span> : (
              <button type="button" className="secondary" aria-describedby={headingId} onClick={onMakeFirst}>
                Make first step
              </button>
            )}
            <ConfirmAction label="Delete step" question={deleteQuestion} describedBy={headingId} mutation={deletion} failed="Not deleted" className="confirm alert warn" />
          </div>
        </div>
      ) : (
        <p className="step-next">
          {first ? <span>Users enter here. </span> : null}
          {branchesOf(step).map(({ branch, to }) => (
            <span key={branch}>
              {BRANCH_WORDS[branch]}: {target(to)}.{' '}
            </span>
          ))}
        </p>
      )}
    </section>
  );
}
