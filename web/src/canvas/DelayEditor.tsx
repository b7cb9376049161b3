/** The Delay step's editor: how long users wait, as a number and a unit, stored as `config.seconds` (spec §3). */
import { useId } from 'react';
import type { Step } from '../api/types.ts';
import { durationWords } from './duration.ts';
import { DurationInput } from './DurationInput.tsx';

export interface DelayEditorProps {
  step: Step;
  readOnly: boolean;
  onChange: (step: Step) => void;
}

export function DelayEditor({ step, readOnly, onChange }: DelayEditorProps) {
  const uid = useId();
  const seconds = typeof step.config.seconds === 'number' ? step.config.seconds : null;
  return (
    <div className="duration">
      <DurationInput
        id={`${uid}-wait`}
        label="Wait"
        seconds={seconds}
        readOnly={readOnly}
        describedBy={`${uid}-hint`}
        onChange={(next) => {
          const { seconds: _old, ...rest } = step.config;
          onChange({ ...step, config: next === null ? rest : { ...rest, seconds: next } });
        }}
      />
      <small id={`${uid}-hint`}>{seconds === null ? 'How long users wait here before the next step.' : `Users wait ${durationWords(seconds)} here.`}</small>
    </div>
  );
}
