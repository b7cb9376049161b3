/**
 * A step's own settings, one editor per step type: Audience Sync has its own editor; a delay its seconds;
 * the other types are shown as JSON until the canvas builder (issue #19) edits them.
 */
import { useId } from 'react';
import type { AudienceSyncConfig, Step } from '../api/types.ts';
import { AudienceSyncEditor } from './AudienceSyncEditor.tsx';
import { DecisionSplitEditor } from './DecisionSplitEditor.tsx';
import { STEP_WORDS } from './model.ts';

export interface StepSettingsProps {
  step: Step;
  editable: boolean;
  onChange: (step: Step) => void;
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

export function StepSettings({ step, editable, onChange }: StepSettingsProps) {
  const uid = useId();
  const words = STEP_WORDS[step.type];
  const seconds = typeof step.config.seconds === 'number' ? step.config.seconds : undefined;
  return step.type === 'audience_sync' ? (
    <AudienceSyncEditor stepId={step.id} config={syncConfigOf(step.config)} onChange={(config) => onChange({ ...step, config: { ...config } })} readOnly={!editable} />
  ) : step.type === 'decision_split' ? (
    <DecisionSplitEditor step={step} editable={editable} onChange={onChange} />
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
  );
}
