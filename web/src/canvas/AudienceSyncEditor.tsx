// Being built (issue #17): the Audience Sync step's editor (spec §8 "audience sync step" row).
import type { AudienceSyncConfig } from '../api/types.ts';

export interface AudienceSyncEditorProps {
  /** The step's id, for ids of its controls and for messages. */
  stepId: string;
  config: AudienceSyncConfig;
  /** Called with the whole new config on every change (the canvas page saves the draft). */
  onChange: (config: AudienceSyncConfig) => void;
  /** Viewers, and canvases that are not drafts: shown, not editable. */
  readOnly: boolean;
}

export function AudienceSyncEditor({ stepId }: AudienceSyncEditorProps) {
  return <p>Audience Sync step {stepId}</p>;
}
