import { hashProfileIdentifiers } from '../../partners/tiktok/identifiers.ts';
import type { StepHandler } from './step.ts';

/**
 * Normalises and hashes the selected fields (spec §2.3). No usable field → not synced
 * (`missing_fields`); otherwise a pending sync item. Either way the user advances at once: the
 * journey never waits for TikTok.
 */
export const audience_sync: StepHandler<'audience_sync'> = {
  type: 'audience_sync',
  execute({ step, profile, defaultCountry, hashed }) {
    const hashes = hashed ?? hashProfileIdentifiers(profile, step.config.fields, defaultCountry).hashes;
    const usable = Object.keys(hashes).length > 0;
    return {
      kind: 'advance',
      next: step.next,
      effects: [usable ? { kind: 'sync_item', outcome: 'pending', reason: null, hashes } : { kind: 'sync_item', outcome: 'not_synced', reason: 'missing_fields', hashes: {} }],
    };
  },
};
