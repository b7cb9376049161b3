import { hasDigest } from '../../core/digest-rows.ts';
import { hashTable } from '../../partners/tiktok/identifiers.ts';
import type { StepHandler } from './step.ts';

/**
 * Normalises and hashes the selected fields (spec §2.3). No usable field → not synced
 * (`missing_fields`); otherwise a pending sync item. Either way the user advances at once: the
 * journey never waits for TikTok.
 */
export const audience_sync: StepHandler<'audience_sync'> = {
  type: 'audience_sync',
  execute({ step, profile, defaultCountry, hashed }) {
    const hashes = hashed ?? { table: hashTable([profile], step.config.fields, defaultCountry), row: 0 };
    return {
      kind: 'advance',
      next: step.next,
      effects: [hasDigest(hashes) ? { kind: 'sync_item', outcome: 'pending', reason: null, hashes } : { kind: 'sync_item', outcome: 'not_synced', reason: 'missing_fields', hashes: null }],
    };
  },
};
