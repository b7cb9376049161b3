/**
 * A launch into a first audience_sync step that ends the canvas is written in bulk (launcher.ts:
 * one run per kind of user, entries straight from the profiles table). It must leave exactly what
 * running every user through the executor leaves: the same entries, sync items, hashes and counts.
 * Two workspaces get the same users and canvas; one is launched in bulk (its chunks hashed first, as
 * `cohort serve` does), the other user by user (the step hashes each user itself).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inlineHasher } from '../../src/partners/tiktok/hash-pool.ts';
import { openDatabase, type Opened } from '../../src/store/connect.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';

const ADV = '7000000000000000001';
const USERS = 2_500; // 3 launch chunks of 1,000 (engineHarness), the last one short

/** Every kind of user the step tells apart, and some the audience leaves out. */
function attributes(): Record<string, unknown>[] {
  return Array.from({ length: USERS }, (_, i) => ({
    external_id: `u${String(i).padStart(5, '0')}`,
    country: i % 5 === 0 ? 'FR' : 'US',
    ...(i % 7 === 1 ? { phone: `+1 415 555 ${String(1000 + (i % 9000)).slice(-4)}` } : {}),
    ...(i % 7 === 2 ? { email: ` User${i}@Example.COM ` } : {}),
    ...(i % 7 >= 3 ? { email: `u${i}@example.com`, idfa: `6D92078A-8246-4BA4-AE5B-${String(i).padStart(12, '0')}` } : {}),
    // i % 7 === 0: no identifier at all (not synced: missing_fields)
  }));
}

const canvas = (audience: unknown) => ({
  name: 'To TikTok',
  entry: { type: 'scheduled', at: null },
  audience,
  first_step: 'sync',
  steps: [{ id: 'sync', type: 'audience_sync', next: null, config: { partner: 'tiktok', advertiser_id: ADV, audience_id: '7100000000000000001', action: 'add', fields: ['email', 'phone', 'idfa', 'gaid'] } }],
});
// With an entry audience the launch reads whole profiles to check it; without one, only ids and identifiers.
// `inside`: users with an entry in the canvas before the launch (re-entry is off: they do not enter again),
// so a chunk read as identifier text keeps only some of its rows.
const none = () => false;
const CASES = [
  { what: 'everyone in the US (whole profiles read)', audience: { attribute: 'country', op: 'eq', value: 'US' }, enters: (i: number) => i % 5 !== 0, inside: none },
  { what: 'everyone (only identifiers read)', audience: null, enters: () => true, inside: none },
  { what: 'everyone but those inside already (only identifiers read, some rows dropped)', audience: null, enters: (i: number) => i % 4 !== 1, inside: (i: number) => i % 4 === 1 },
];

describeEachStore('launch in bulk', ({ store, url }) => {
  let opened: Opened;
  beforeAll(async () => {
    opened = await openDatabase(url());
  });
  afterAll(async () => {
    await opened.db.destroy();
  });

  async function launch(h: EngineHarness, audience: unknown, inside: (i: number) => boolean): Promise<{ workspaceId: string; canvasId: string; sync: Record<string, number> }> {
    const ws = await h.workspace();
    expect((await h.call(ws.key, 'POST', '/api/users/track', { attributes: attributes() })).status).toBeLessThan(300);
    const created = await h.call(ws.key, 'POST', '/api/canvases', canvas(audience));
    const before = attributes().filter((_, i) => inside(i)).map((a) => a.external_id as string);
    if (before.length > 0) {
      const profiles = await store().getProfilesByExternalIds(ws.id, before);
      const state = { stepId: null, status: 'exited' as const, dueAt: null, stepEnteredAt: 1, exitedAt: 1 };
      await store().transaction((tx) => tx.insertEntries(profiles.map((p) => ({ workspaceId: ws.id, canvasId: created.body.id as string, version: 1, profileId: p.id, externalId: p.externalId, stepId: 'sync', context: null, dispatchId: null, state })), 1));
    }
    expect((await h.call(ws.key, 'POST', `/api/canvases/${created.body.id}/launch`)).status).toBe(200);
    await h.worker.drain();
    // 2,500 profiles in parts of 1,000 at least (engineHarness): the launch ran as two jobs, side by
    // side on several workers or in turn on one, and between them entered every user once.
    const jobs = await store().listCanvasLaunchJobs(ws.id, created.body.id as string);
    expect(jobs.map((j) => j.status)).toEqual(['done', 'done']);
    const a = await h.call(ws.key, 'GET', `/api/canvases/${created.body.id}/analytics`);
    expect(jobs.reduce((n, j) => n + j.entered, 0)).toBe((a.body.steps as Record<string, number>[])[0]!.entered);
    return { workspaceId: ws.id, canvasId: created.body.id as string, sync: (a.body.steps as Record<string, number>[])[0]! };
  }

  /** What the launch left in the database, by external id: entries, sync members with their batch, and the hashes queued for TikTok. */
  async function leftBehind(workspaceId: string, canvasId: string) {
    const entries = await sql<Record<string, unknown>>`
      select e.external_id, p.external_id as profile_external_id, e.version, e.step_id, e.status, e.due_at, e.step_entered_at, e.entered_at, e.exited_at, e.context, e.dispatch_id
      from entries e join profiles p on p.id = e.profile_id where e.workspace_id = ${workspaceId} and e.canvas_id = ${canvasId} order by e.external_id`.execute(opened.db);
    const members = await sql<Record<string, unknown>>`
      select p.external_id, e.external_id as entry_external_id, b.step_id, b.outcome, b.reason, b.advertiser_id, b.audience_id, b.action, b.size, m.position
      from sync_members m join sync_batches b on b.id = m.batch_id join profiles p on p.id = m.profile_id join entries e on e.id = m.entry_id
      where b.workspace_id = ${workspaceId} and b.canvas_id = ${canvasId} order by p.external_id`.execute(opened.db);
    const externalOf = new Map((await sql<{ id: number; external_id: string }>`select id, external_id from profiles where workspace_id = ${workspaceId}`.execute(opened.db)).rows.map((r) => [Number(r.id), r.external_id]));
    const hashes: Record<string, Partial<Record<string, string>>> = {};
    for (const queue of (await store().listSyncQueues()).filter((q) => q.workspaceId === workspaceId)) {
      const { batches } = await store().readDueSyncBatches({ queueId: queue.id, now: Number.MAX_SAFE_INTEGER, limit: 100_000 });
      for (const b of batches) for (const u of b.users) hashes[externalOf.get(u.profileId)!] = u.hashes;
    }
    return { entries: entries.rows, members: members.rows, hashes };
  }

  it.each(CASES)('$what: the same entries, sync items, hashes and counts as running every user', async ({ audience, enters, inside }) => {
    const hashedFirst = await engineHarness(store(), { hasher: inlineHasher() });
    const oneByOne = await engineHarness(store());
    const bulk = await launch(hashedFirst, audience, inside);
    const each = await launch(oneByOne, audience, inside);

    const inUs = attributes().filter((_, i) => enters(i));
    const without = attributes().filter((_, i) => enters(i) && i % 7 === 0).length;
    expect(bulk.sync).toMatchObject({ entered: inUs.length, exited: inUs.length, proceeded: 0, pending: inUs.length - without, not_synced: without, synced: 0, errored: 0 });
    expect(each.sync).toEqual(bulk.sync);

    const a = await leftBehind(bulk.workspaceId, bulk.canvasId);
    const b = await leftBehind(each.workspaceId, each.canvasId);
    const already = attributes().filter((_, i) => inside(i)).length;
    expect(a.entries).toHaveLength(inUs.length + already);
    for (const e of a.entries) expect(e.external_id).toBe(e.profile_external_id);
    expect(a.entries).toEqual(b.entries);
    // One sync item per entered user, tied to that user's entry.
    expect(a.members).toHaveLength(inUs.length);
    for (const m of a.members) expect(m.entry_external_id).toBe(m.external_id);
    expect(a.members.map(({ position: _, ...m }) => m)).toEqual(b.members.map(({ position: _, ...m }) => m));
    expect(a.members.filter((m) => m.outcome === 'not_synced' && m.reason === 'missing_fields')).toHaveLength(without);
    // The identifiers queued for TikTok, hash for hash.
    expect(Object.keys(a.hashes)).toHaveLength(inUs.length - without);
    expect(a.hashes).toEqual(b.hashes);
    expect(a.hashes.u00002).toEqual({ email: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(a.hashes.u00003).toEqual({ email: expect.stringMatching(/^[0-9a-f]{64}$/), idfa: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
});
