import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachStore } from '../support/databases.ts';
import { canvasApi, CONNECTED, SPEC_CANVAS, type CanvasApi } from './canvas-app.ts';

const TIKTOK_DISCONNECTED = 'TikTok: not connected; connect TikTok (Partners) before launching a canvas with an audience_sync step';
const TIKTOK_INVALID = 'TikTok: the connection token is invalid; an admin must reconnect TikTok before this canvas can launch';

describeEachStore('api: canvas launch validation and scheduled launches', ({ store }) => {
  let api: CanvasApi;
  beforeAll(async () => {
    api = await canvasApi(store());
  });
  afterAll(async () => {
    await api?.close();
  });

  async function withTikTok<T>(tiktok: CanvasApi['tiktok'], fn: () => Promise<T>): Promise<T> {
    api.tiktok = tiktok;
    try {
      return await fn();
    } finally {
      api.tiktok = CONNECTED;
    }
  }

  async function draft(key: string, body: unknown) {
    const res = await api.call(key, 'POST', '/api/canvases', body);
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  it('refuses a launch with 422 and every reason at once, and leaves the canvas a draft', async () => {
    const { id: ws, key } = await api.workspace();
    const id = await draft(key, {
      name: 'broken',
      entry: { type: 'event' },
      first_step: null,
      steps: [
        { id: 'sync', type: 'audience_sync', next: 'ghost' },
        { id: 'hook', type: 'webhook', next: null, config: { url: 'https://example.test/h' } },
      ],
    });
    const res = await withTikTok({ status: 'disconnected', advertiserIds: [] }, () => api.call(key, 'POST', `/api/canvases/${id}/launch`));
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: {
        code: 'launch_refused',
        message: 'the canvas cannot launch',
        reasons: [
          'the canvas has no first step (first_step)',
          'entry: an event entry needs the event name (entry.event)',
          'step sync points at a missing step: ghost',
          'step sync: audience_sync needs an advertiser_id',
          'step sync: audience_sync needs an audience_id',
          'step sync: audience_sync needs at least one of email, phone, idfa, gaid in fields',
          TIKTOK_DISCONNECTED,
        ],
      },
    });
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).body).toMatchObject({ status: 'draft', launched_at: null });
    expect(await store().listCanvasLaunchJobs(ws, id)).toEqual([]);
  });

  it.each<[string, CanvasApi['tiktok'], string[]]>([
    ['an advertiser that is not one of the connection\'s', { status: 'connected', advertiserIds: ['7000000000000000002'] }, ["step sync: advertiser 7000000000000000001 is not one of the TikTok connection's ad accounts"]],
    ['TikTok disconnected', { status: 'disconnected', advertiserIds: [] }, [TIKTOK_DISCONNECTED]],
    ['an invalid TikTok token', { status: 'invalid_token', advertiserIds: ['7000000000000000001'] }, [TIKTOK_INVALID]],
  ])('refuses %s', async (_what, tiktok, reasons) => {
    const { key } = await api.workspace();
    const id = await draft(key, SPEC_CANVAS);
    const res = await withTikTok(tiktok, () => api.call(key, 'POST', `/api/canvases/${id}/launch`));
    expect(res.status).toBe(422);
    expect(res.body.error.reasons).toEqual(reasons);
  });

  it('launches once the reasons are fixed', async () => {
    const { key } = await api.workspace();
    const id = await draft(key, { ...SPEC_CANVAS, first_step: null });
    expect((await api.call(key, 'POST', `/api/canvases/${id}/launch`)).status).toBe(422);
    expect((await api.call(key, 'PUT', `/api/canvases/${id}`, SPEC_CANVAS)).status).toBe(200);
    expect((await api.call(key, 'POST', `/api/canvases/${id}/launch`)).body).toMatchObject({ status: 'active', version: 1 });
  });

  it('a resume is validated again: a stopped canvas edited into a broken one stays stopped', async () => {
    const { key } = await api.workspace();
    const id = await draft(key, SPEC_CANVAS);
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    await api.call(key, 'POST', `/api/canvases/${id}/stop`);
    expect((await api.call(key, 'PUT', `/api/canvases/${id}`, { ...SPEC_CANVAS, first_step: 'gone' })).body).toMatchObject({ status: 'stopped', version: 2 });
    const res = await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    expect(res.status).toBe(422);
    expect(res.body.error.reasons).toEqual(['first_step points at a missing step: gone']);
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).body.status).toBe('stopped');
  });

  it('a scheduled launch writes exactly one launch job at entry.at; stop and resume do not add another', async () => {
    const { id: ws, key } = await api.workspace();
    const at = '2026-12-24T18:00:00+01:00';
    const id = await draft(key, { ...SPEC_CANVAS, entry: { type: 'scheduled', at } });
    expect(await store().listCanvasLaunchJobs(ws, id)).toEqual([]);
    expect((await api.call(key, 'POST', `/api/canvases/${id}/launch`)).status).toBe(200);
    const jobs = await store().listCanvasLaunchJobs(ws, id);
    expect(jobs).toEqual([{ id: expect.any(Number), version: 1, runAt: Date.parse('2026-12-24T17:00:00Z'), status: 'pending', cursor: 0, entered: 0 }]);

    await api.call(key, 'POST', `/api/canvases/${id}/stop`);
    expect((await api.call(key, 'POST', `/api/canvases/${id}/launch`)).body.status).toBe('active');
    expect(await store().listCanvasLaunchJobs(ws, id)).toEqual(jobs);
    // Another workspace sees none of it.
    expect(await store().listCanvasLaunchJobs('ws_elsewhere', id)).toEqual([]);
  });

  it('a scheduled entry at null runs at launch time, by the injected clock', async () => {
    const { id: ws, key } = await api.workspace();
    const id = await draft(key, { ...SPEC_CANVAS, entry: { type: 'scheduled', at: null } });
    api.clock.advance(5_000);
    const launchedAt = api.clock.now();
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    expect((await store().listCanvasLaunchJobs(ws, id)).map((j) => [j.version, j.runAt])).toEqual([[1, launchedAt]]);
  });

  it('until it starts, the launch job follows the latest version: a resume after an edit replaces it, once', async () => {
    const { id: ws, key } = await api.workspace();
    const scheduled = { ...SPEC_CANVAS, entry: { type: 'scheduled', at: '2026-12-31T00:00:00Z' } };
    const id = await draft(key, scheduled);
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    await api.call(key, 'POST', `/api/canvases/${id}/stop`);
    await api.call(key, 'PUT', `/api/canvases/${id}`, { ...scheduled, entry: { type: 'scheduled', at: '2027-01-01T00:00:00Z' } });
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    await api.call(key, 'POST', `/api/canvases/${id}/stop`);
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    expect((await store().listCanvasLaunchJobs(ws, id)).map((j) => [j.version, j.runAt, j.status])).toEqual([
      [1, Date.parse('2026-12-31T00:00:00Z'), 'cancelled'],
      [2, Date.parse('2027-01-01T00:00:00Z'), 'pending'],
    ]);
  });

  it('an edit of an active canvas moves a job that has not started to the new version; "at launch" keeps its time', async () => {
    const { id: ws, key } = await api.workspace();
    const scheduled = { ...SPEC_CANVAS, entry: { type: 'scheduled', at: null } };
    const id = await draft(key, scheduled);
    const launchedAt = api.clock.now();
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    api.clock.advance(10_000);
    await api.call(key, 'PUT', `/api/canvases/${id}`, { ...scheduled, name: 'v2' });
    expect((await store().listCanvasLaunchJobs(ws, id)).map((j) => [j.version, j.runAt, j.status])).toEqual([
      [1, launchedAt, 'cancelled'],
      [2, launchedAt, 'pending'],
    ]);
    // Edited into an API-triggered canvas, the scheduled entry goes away.
    await api.call(key, 'PUT', `/api/canvases/${id}`, { ...scheduled, entry: { type: 'api' } });
    expect((await store().listCanvasLaunchJobs(ws, id)).map((j) => j.status)).toEqual(['cancelled', 'cancelled']);
  });

  it('a launch job that has started is never replaced or repeated', async () => {
    const { id: ws, key } = await api.workspace();
    const scheduled = { ...SPEC_CANVAS, entry: { type: 'scheduled', at: null } };
    const id = await draft(key, scheduled);
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    // A runner takes the job and commits a first chunk (journey-port.ts). Other tests' jobs share
    // this database and come first; each claim leases one, so the loop reaches ours.
    let job = null;
    for (let i = 0; i < 100 && job?.canvasId !== id; i++) job = await store().claimDueLaunchJob({ now: api.clock.now(), leaseMs: 60_000, leaseId: `lease_${i}` });
    expect(job?.canvasId).toBe(id);
    expect(await store().advanceLaunchJob(job!.id, job!.leaseId, { cursor: 10, entered: 4, done: false, leaseExpiresAt: api.clock.now() + 60_000 })).toBe(true);
    await api.call(key, 'PUT', `/api/canvases/${id}`, { ...scheduled, name: 'v2' });
    await api.call(key, 'POST', `/api/canvases/${id}/stop`);
    await api.call(key, 'PUT', `/api/canvases/${id}`, { ...scheduled, name: 'v3' });
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    await api.call(key, 'POST', `/api/canvases/${id}/archive`);
    expect((await store().listCanvasLaunchJobs(ws, id)).map((j) => [j.version, j.status, j.cursor])).toEqual([[1, 'pending', 10]]);
  });

  it('archiving cancels a launch job that has not started', async () => {
    const { id: ws, key } = await api.workspace();
    const id = await draft(key, { ...SPEC_CANVAS, entry: { type: 'scheduled', at: '2027-06-01T00:00:00Z' } });
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    await api.call(key, 'POST', `/api/canvases/${id}/archive`);
    expect((await store().listCanvasLaunchJobs(ws, id)).map((j) => j.status)).toEqual(['cancelled']);
  });

  it('concurrent launches: one wins, the others get 409, and one launch job is written', async () => {
    const { id: ws, key } = await api.workspace();
    const id = await draft(key, { ...SPEC_CANVAS, entry: { type: 'scheduled', at: null } });
    const answers = await Promise.all(Array.from({ length: 5 }, () => api.call(key, 'POST', `/api/canvases/${id}/launch`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
    expect(await store().listCanvasLaunchJobs(ws, id)).toHaveLength(1);
  });

  it('concurrent edits of an active canvas each get their own version', async () => {
    const { key } = await api.workspace();
    const id = await draft(key, SPEC_CANVAS);
    await api.call(key, 'POST', `/api/canvases/${id}/launch`);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => api.call(key, 'PUT', `/api/canvases/${id}`, { ...SPEC_CANVAS, name: `edit ${n}` })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    expect(answers.map((a) => a.body.version).sort()).toEqual([2, 3, 4, 5]);
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).body.version).toBe(5);
  });

  it('api and event entries write no launch job', async () => {
    const { id: ws, key } = await api.workspace();
    for (const entry of [{ type: 'api' }, { type: 'event', event: 'purchase' }]) {
      const id = await draft(key, { ...SPEC_CANVAS, entry });
      expect((await api.call(key, 'POST', `/api/canvases/${id}/launch`)).status).toBe(200);
      expect(await store().listCanvasLaunchJobs(ws, id)).toEqual([]);
    }
  });

  it('a refused launch writes no launch job (one transaction)', async () => {
    const { id: ws, key } = await api.workspace();
    const id = await draft(key, { ...SPEC_CANVAS, entry: { type: 'scheduled', at: null } });
    const res = await withTikTok({ status: 'invalid_token', advertiserIds: ['7000000000000000001'] }, () => api.call(key, 'POST', `/api/canvases/${id}/launch`));
    expect(res.status).toBe(422);
    expect(await store().listCanvasLaunchJobs(ws, id)).toEqual([]);
    expect((await api.call(key, 'GET', `/api/canvases/${id}`)).body.status).toBe('draft');
  });
});
