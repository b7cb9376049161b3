/**
 * One step of the canvas as a card: `Step <id> · <Type>` (the region's name carries the id, so that a
 * launch refusal naming the step is found in it), its settings, where it leads, and the launch
 * refusals and warnings about it. Audience Sync has its own editor; a delay its seconds; the other
 * types are shown as JSON until the canvas builder (issue #19) edits them.
 */
import { useId, type Ref } from 'react';
import type { AudienceSyncConfig, Step } from '../api/types.ts';
import { AudienceSyncEditor } from './AudienceSyncEditor.tsx';
import { branchesOf, STEP_WORDS } from './model.ts';

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
  onChange: (step: Step) => void;
  onChoose: () => void;
}

/** The config as the editor takes it; a draft stored by a script may lack what the server would default. */
function syncConfigOf(config: Step['config']): AudienceSyncConfig {
  const c = config as Partial<AudienceSyncConfig>;
  return {
    ...c,
    partner: 'tiktok',
    action: c.action === 'remove' ? 'remove' : 'add',
    fields: Array.isArray(c.fields) ? c.fields : [],
  };
}

function duration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n.toLocaleString()} ${unit}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}

export function StepCard({ ref, step, types, editable, chosen, reasons, warnings, onChange, onChoose }: StepCardProps) {
  const uid = useId();
  const headingId = `${uid}-heading`;
  const words = STEP_WORDS[step.type];
  const seconds = typeof step.config.seconds === 'number' ? step.config.seconds : undefined;

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

      {step.type === 'audience_sync' ? (
        <AudienceSyncEditor stepId={step.id} config={syncConfigOf(step.config)} onChange={(config) => onChange({ ...step, config: { ...config } })} readOnly={!editable} />
      ) : step.type === 'delay' ? (
        <div className="stack">
          <label htmlFor={`${uid}-seconds`}>Seconds</label>
          <input
            id={`${uid}-seconds`}
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            readOnly={!editable}
            aria-describedby={`${uid}-seconds-hint`}
            value={seconds ?? ''}
            onChange={(e) => {
              const { seconds: _old, ...rest } = step.config;
              const value = e.target.valueAsNumber;
              onChange({ ...step, config: Number.isFinite(value) ? { ...rest, seconds: value } : rest });
            }}
          />
          <small id={`${uid}-seconds-hint`}>{seconds === undefined ? 'How long users wait here before the next step.' : `Users wait ${duration(seconds)} here.`}</small>
        </div>
      ) : (
        <>
          <pre className="config">
            {JSON.stringify(step.config, null, 2)}
          </pre>
          <p>
            <small>Editing a {words} step’s settings comes with the canvas builder (issue #19); a script can set them through the API today.</small>
          </p>
        </>
      )}

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
