/**
 * A step's own settings: one editor per step type, each in its own file. A type without an editor
 * yet is shown as JSON. Editors report what blocks Save through step-problems.ts.
 */
import type { AudienceSyncConfig, Step } from '../api/types.ts';
import { AudienceSyncEditor } from './AudienceSyncEditor.tsx';
import { DecisionSplitEditor } from './DecisionSplitEditor.tsx';
import { DelayEditor } from './DelayEditor.tsx';
import { STEP_WORDS } from './model.ts';
import { UserUpdateEditor } from './UserUpdateEditor.tsx';
import { WebhookEditor } from './WebhookEditor.tsx';
import './step-editors.css';

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

export function StepSettings({ step, editable, onChange }: StepSettingsProps) {
  const readOnly = !editable;
  switch (step.type) {
    case 'audience_sync':
      return <AudienceSyncEditor stepId={step.id} config={syncConfigOf(step.config)} onChange={(config) => onChange({ ...step, config: { ...config } })} readOnly={readOnly} />;
    case 'delay':
      return <DelayEditor step={step} readOnly={readOnly} onChange={onChange} />;
    case 'webhook':
      return <WebhookEditor step={step} readOnly={readOnly} onChange={onChange} />;
    case 'user_update':
      return <UserUpdateEditor step={step} readOnly={readOnly} onChange={onChange} />;
    case 'decision_split':
      return <DecisionSplitEditor step={step} editable={editable} onChange={onChange} />;
    default:
      return (
        <>
          <pre className="config">{JSON.stringify(step.config, null, 2)}</pre>
          <p>
            <small>Editing a {STEP_WORDS[step.type]} step’s settings comes with the canvas builder (issue #19); a script can set them through the API today.</small>
          </p>
        </>
      );
  }
}
