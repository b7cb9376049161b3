/**
 * API-triggered entry (`POST /api/canvas/trigger/send`, spec §4): recipients' attributes are applied
 * first, then they enter, all in one transaction. A canvas that is not active answers with a notice
 * and enters nobody.
 */
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../core/errors.ts';
import type { Json, ProfilePatch, Store } from '../store/port.ts';
import type { CanvasSnapshot } from './canvas-reader.ts';
import { enterUsers } from './enter.ts';

export interface Recipient {
  externalId: string;
  attributes: ProfilePatch | null;
  context: Record<string, Json> | null;
}

export type TriggerResult = { dispatchId: string; entered: number; notice?: string };

export async function triggerSend(store: Store, canvas: CanvasSnapshot, recipients: readonly Recipient[], now: number): Promise<TriggerResult> {
  const dispatchId = `dp_${randomUUID().replaceAll('-', '')}`;
  if (canvas.status !== 'active') {
    return { dispatchId, entered: 0, notice: `canvas ${canvas.id} is ${canvas.status}: nobody entered. Launch it to accept entries.` };
  }
  if (canvas.definition.entry.type !== 'api') {
    throw new ValidationError('wrong_entry_type', `canvas ${canvas.id} is entered by ${canvas.definition.entry.type}, not through the API`);
  }
  const entered = await store.transaction(async (tx) => {
    const patches: ProfilePatch[] = recipients.map((r) => r.attributes ?? { externalId: r.externalId, standard: {}, custom: {} });
    const profiles = await tx.upsertProfiles(canvas.workspaceId, patches, now);
    const byId = new Map(profiles.map((p) => [p.externalId, p]));
    const candidates = recipients.flatMap((r) => {
      const profile = byId.get(r.externalId);
      return profile ? [{ profile, context: r.context, dispatchId }] : [];
    });
    return enterUsers(tx, canvas, candidates, now);
  });
  return { dispatchId, entered };
}
