import { expect, it } from 'vitest';
import { describeEachStore } from '../support/databases.ts';

const NOW = Date.parse('2026-11-28T12:00:00Z');

describeEachStore('store: workspaces and profiles', ({ store }) => {
  it('creates a workspace and finds it by an API key hash only', async () => {
    const ws = await store().createWorkspace({ id: 'ws_a', name: 'Acme' }, NOW);
    expect(ws).toEqual({ id: 'ws_a', name: 'Acme', defaultCountry: null, createdAt: NOW });
    await store().insertApiKey({ id: 'key_1', workspaceId: 'ws_a', keyHash: 'h'.repeat(64) }, NOW);
    expect(await store().findApiKeyByHash('h'.repeat(64))).toEqual({ id: 'key_1', workspaceId: 'ws_a', lastUsedAt: null });
    expect(await store().findApiKeyByHash('x'.repeat(64))).toBeNull();
    expect(await store().getWorkspace('ws_a')).toEqual(ws);
  });

  it('upserts: a value sets, null removes, an absent key keeps; later patches win', async () => {
    await store().createWorkspace({ id: 'ws_p', name: 'P' }, NOW);
    await store().transaction((tx) =>
      tx.upsertProfiles('ws_p', [
        { externalId: 'u1', standard: { email: 'ann@example.com', country: 'US' }, custom: { vip: true, plan: 'gold' } },
        { externalId: 'u2', standard: { phone: '+15555550100', ads_tracking_enabled: false }, custom: {} },
        { externalId: 'u1', standard: { first_name: 'Ann' }, custom: { plan: 'platinum' } },
      ], NOW),
    );
    const u1 = await store().getProfile('ws_p', 'u1');
    expect(u1).toMatchObject({ externalId: 'u1', email: 'ann@example.com', country: 'US', first_name: 'Ann', custom: { vip: true, plan: 'platinum' } });
    expect((await store().getProfile('ws_p', 'u2'))?.ads_tracking_enabled).toBe(false);

    await store().transaction((tx) => tx.upsertProfiles('ws_p', [{ externalId: 'u1', standard: { email: null }, custom: { vip: null, score: 3 } }], NOW + 1));
    const again = await store().getProfile('ws_p', 'u1');
    expect(again).toMatchObject({ email: null, country: 'US', first_name: 'Ann', custom: { plan: 'platinum', score: 3 }, createdAt: NOW, updatedAt: NOW + 1 });
    expect(again?.custom).not.toHaveProperty('vip');
    expect(again?.id).toBe(u1?.id);
  });

  it('keeps workspaces apart', async () => {
    await store().createWorkspace({ id: 'ws_x', name: 'X' }, NOW);
    await store().createWorkspace({ id: 'ws_y', name: 'Y' }, NOW);
    await store().transaction((tx) => tx.upsertProfiles('ws_x', [{ externalId: 'same', standard: { email: 'x@example.com' }, custom: {} }], NOW));
    await store().transaction((tx) => tx.upsertProfiles('ws_y', [{ externalId: 'same', standard: { email: 'y@example.com' }, custom: {} }], NOW));
    expect((await store().getProfile('ws_x', 'same'))?.email).toBe('x@example.com');
    expect((await store().getProfile('ws_y', 'same'))?.email).toBe('y@example.com');
    expect(await store().getProfilesByExternalIds('ws_x', ['same', 'missing'])).toHaveLength(1);
  });

  it('upserts 5,000 profiles in one call and pages through them by id', async () => {
    await store().createWorkspace({ id: 'ws_big', name: 'Big' }, NOW);
    const patches = Array.from({ length: 5_000 }, (_, i) => ({ externalId: `u${i}`, standard: { email: `u${i}@example.com`, ...(i % 3 === 0 ? { ads_tracking_enabled: i % 2 === 0 } : {}) }, custom: i % 5 === 0 ? ({} as Record<string, number>) : { i } }));
    const written = await store().transaction((tx) => tx.upsertProfiles('ws_big', patches, NOW));
    expect(written).toHaveLength(5_000);
    let after = 0;
    let seen = 0;
    for (;;) {
      const page = await store().listProfilesAfter('ws_big', after, 1_000);
      if (page.length === 0) break;
      // The launch's page reads the same profiles as any other read, field for field.
      if (seen === 0) expect(page).toEqual((await store().getProfilesByIds('ws_big', page.map((p) => p.id))).sort((a, b) => a.id - b.id));
      seen += page.length;
      after = page[page.length - 1]!.id;
    }
    expect(seen).toBe(5_000);
    const some = await store().getProfilesByIds('ws_big', written.slice(0, 700).map((p) => p.id));
    expect(some).toHaveLength(700);
  });

  it('reads a chunk\'s identifiers as one JSON text, exactly as stored, in id order', async () => {
    await store().createWorkspace({ id: 'ws_ids', name: 'Ids' }, NOW);
    await store().createWorkspace({ id: 'ws_other', name: 'Other' }, NOW);
    // Values JSON must escape (quotes, backslashes, control characters, non-ASCII, an emoji) and nulls.
    const odd = ['a"b@example.com', 'back\\slash@example.com', 'tab\there@example.com', 'zoë@exämple.com', '😀@example.com', ' Spaces@Example.COM '];
    const patches = Array.from({ length: 25 }, (_, i) => ({
      externalId: `v${i}`,
      standard: { email: odd[i % odd.length]!, ...(i % 2 ? { phone: `+1 (415) 555-${String(1000 + i)}` } : {}), ...(i % 3 === 0 ? { idfa: `IDFA-${i}`, country: 'FR' } : {}), ...(i % 4 === 1 ? { gaid: `g\u0001${i}` } : {}) },
      custom: {},
    }));
    const written = await store().transaction((tx) => tx.upsertProfiles('ws_ids', patches, NOW));
    await store().transaction((tx) => tx.upsertProfiles('ws_other', [{ externalId: 'v0', standard: { email: 'other@example.com' }, custom: {} }], NOW));
    const byId = [...written].sort((a, b) => a.id - b.id);
    const pages: number[][] = [];
    let after = 0;
    for (;;) {
      const chunk = await store().listIdentifierRowsAfter('ws_ids', after, 10);
      if (chunk.ids.length === 0) {
        expect(JSON.parse(chunk.rows)).toEqual([]);
        break;
      }
      const expected = byId.filter((p) => p.id > after).slice(0, 10);
      expect(chunk.ids).toEqual(expected.map((p) => p.id));
      expect(JSON.parse(chunk.rows)).toEqual(expected.map((p) => [p.email, p.phone, p.idfa, p.gaid, p.country]));
      pages.push(chunk.ids);
      after = chunk.ids.at(-1)!;
    }
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
  });

  it('rolls a failed transaction back', async () => {
    await store().createWorkspace({ id: 'ws_r', name: 'R' }, NOW);
    await expect(
      store().transaction(async (tx) => {
        await tx.upsertProfiles('ws_r', [{ externalId: 'ghost', standard: {}, custom: {} }], NOW);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await store().getProfile('ws_r', 'ghost')).toBeNull();
  });
});

describeEachStore('store: concurrent first writes of one user', ({ store }) => {
  it('two transactions creating the same user at once both land (no lost attributes)', async () => {
    await store().createWorkspace({ id: 'ws_c', name: 'C' }, NOW);
    for (let round = 0; round < 5; round++) {
      const id = `new-${round}`;
      await Promise.all([
        store().transaction((tx) => tx.upsertProfiles('ws_c', [{ externalId: id, standard: { email: `${id}@example.com` }, custom: { a: 1 } }], NOW)),
        store().transaction((tx) => tx.upsertProfiles('ws_c', [{ externalId: id, standard: { first_name: 'Ann' }, custom: { b: 2 } }], NOW)),
      ]);
      expect(await store().getProfile('ws_c', id)).toMatchObject({ email: `${id}@example.com`, first_name: 'Ann', custom: { a: 1, b: 2 } });
    }
  });

  it('concurrent updates of an existing user each keep the other\'s attributes', async () => {
    await store().createWorkspace({ id: 'ws_u', name: 'U' }, NOW);
    await store().transaction((tx) => tx.upsertProfiles('ws_u', [{ externalId: 'old', standard: { email: 'old@example.com' }, custom: {} }], NOW));
    for (let round = 0; round < 10; round++) {
      await Promise.all(
        ['x', 'y', 'z'].map((key) => store().transaction((tx) => tx.upsertProfiles('ws_u', [{ externalId: 'old', standard: {}, custom: { [`${key}${round}`]: round } }], NOW + round))),
      );
      expect((await store().getProfile('ws_u', 'old'))?.custom).toMatchObject({ [`x${round}`]: round, [`y${round}`]: round, [`z${round}`]: round });
    }
  });
});
