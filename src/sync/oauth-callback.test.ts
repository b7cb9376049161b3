import { describe, expect, it } from 'vitest';
import type { TikTokAdvertiserRecord } from '../store/port.ts';
import { mergeAdvertisers } from './oauth-callback.ts';

const rec = (advertiserId: string, selected: boolean, advertiserName = `Name ${advertiserId}`): TikTokAdvertiserRecord => ({ advertiserId, advertiserName, selected });
const grant = (...ids: string[]) => ids.map((advertiserId) => ({ advertiserId, advertiserName: `Name ${advertiserId}` }));
const picked = (rows: TikTokAdvertiserRecord[]) => rows.filter((r) => r.selected).map((r) => r.advertiserId);

describe('mergeAdvertisers', () => {
  it.each([
    ['first connect: every granted one is picked', [], grant('1', '2'), ['1', '2']],
    ['reconnect: earlier picks are kept, new ones not picked', [rec('1', true), rec('2', false)], grant('1', '2', '3'), ['1']],
    ['reconnect with nothing picked before: new ones are picked', [rec('1', false)], grant('1', '2'), ['2']],
    ['an earlier pick no longer granted is gone; new ones picked as nothing granted was', [rec('1', true)], grant('2'), ['2']],
    ['duplicates in the grant count once', [], grant('1', '1'), ['1']],
    ['an empty grant forgets everything', [rec('1', true)], [], []],
  ])('%s', (_name, before, granted, expected) => {
    const merged = mergeAdvertisers(before, granted);
    expect(picked(merged)).toEqual(expected);
    expect(merged.map((m) => m.advertiserId)).toEqual([...new Set(granted.map((g) => g.advertiserId))]);
  });

  it("takes TikTok's current names, keeping the earlier one when TikTok sends none", () => {
    expect(mergeAdvertisers([rec('1', true, 'Old')], [{ advertiserId: '1', advertiserName: 'New' }])[0]!.advertiserName).toBe('New');
    expect(mergeAdvertisers([rec('1', true, 'Old')], [{ advertiserId: '1', advertiserName: '' }])[0]!.advertiserName).toBe('Old');
  });
});
