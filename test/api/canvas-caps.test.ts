// The caps of spec §9 on canvases (issue 16, finding 6): each attack replayed over the API on both
// stores. Before the caps, a filter 1,500 deep and a webhook body 100,000 deep answered 500, a chain of
// 20,000 steps was stored and then answered 500 at launch, a NUL in a name answered 500 on PostgreSQL,
// and a canvas of several MB was stored.
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newCanvasId } from '../../src/engine/canvas-service.ts';
import type { CanvasDefinition } from '../../src/core/canvas.ts';
import { describeEachStore } from '../support/databases.ts';
import { canvasApi, type CanvasApi } from './canvas-app.ts';

const deepFilter = (depth: number) => `${'{"all":['.repeat(depth - 1)}{"attribute":"a","op":"eq","value":1}${']}'.repeat(depth - 1)}`;
const chain = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `s${i}`, type: 'user_update', config: { set: { a: 1 } }, next: i + 1 < n ? `s${i + 1}` : null }));
/** A chain of delays written small: 20,000 steps in well under 1 MB. */
const compactChain = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i.toString(36), type: 'delay', next: i + 1 < n ? (i + 1).toString(36) : null }));
/** A canvas body of exactly `bytes` bytes of JSON (padded in a webhook body). */
function canvasOfBytes(bytes: number): string {
  const head = '{"name":"big","steps":[{"id":"h","type":"webhook","config":{"body":"';
  const tail = '"}}]}';
  return head + 'x'.repeat(bytes - head.length - tail.length) + tail;
}

describeEachStore('api: canvas caps (spec §9)', ({ store, kind }) => {
  let api: CanvasApi;
  let key: string;
  let wsId: string;
  beforeAll(async () => {
    api = await canvasApi(store());
    ({ id: wsId, key } = await api.workspace());
  });
  afterAll(async () => {
    await api?.close();
  });

  async function refused(body: unknown, code: string, message: string | RegExp, method: 'POST' | 'PUT' = 'POST', url = '/api/canvases') {
    const res = await api.call(key, method, url, body);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(400);
    expect(res.body.error.code).toBe(code);
    if (typeof message === 'string') expect(res.body.error.message).toContain(message);
    else expect(res.body.error.message).toMatch(message);
  }

  it('refuses a filter 1,500 deep (was a 500) and 33 deep, in the audience and in a decision split; takes 32', async () => {
    await refused(`{"name":"x","audience":${deepFilter(1_500)}}`, 'canvas_too_deep', 'audience: a filter nests at most 32 filters deep');
    await refused(`{"name":"x","audience":${deepFilter(33)}}`, 'canvas_too_deep', 'at most 32 filters deep');
    await refused(`{"name":"x","steps":[{"id":"s","type":"decision_split","config":{"filter":${deepFilter(1_500)}}}]}`, 'canvas_too_deep', 'steps.0.config.filter: a filter nests at most 32 filters deep');
    expect((await api.call(key, 'POST', '/api/canvases', `{"name":"x","audience":${deepFilter(32)}}`)).status).toBe(201);
  });

  it('refuses JSON 100,000 deep in a webhook body (was a 500) and 33 deep in a user_update value', async () => {
    const deepBody = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    await refused(`{"name":"x","steps":[{"id":"h","type":"webhook","config":{"body":${deepBody}}}]}`, 'canvas_too_deep', 'steps.0.config.body: JSON in a canvas');
    await refused(`{"name":"x","steps":[{"id":"u","type":"user_update","config":{"set":{"v":${'['.repeat(33)}${']'.repeat(33)}}}}]}`, 'canvas_too_deep', 'steps.0.config.set.v: JSON in a canvas');
  });

  it('refuses a chain of 20,000 steps (was stored, then a 500 at launch); takes and launches 1,000', async () => {
    const compact = JSON.stringify({ name: 'chain', first_step: '0', steps: compactChain(20_000) });
    expect(compact.length).toBeLessThan(1_048_576);
    await refused(compact, 'canvas_too_many_steps', 'a canvas has at most 1,000 steps; this one has 20,000');
    await refused({ name: 'chain', first_step: 's0', steps: chain(20_000) }, 'canvas_too_large', 'a canvas is at most 1 MB of JSON'); // 1.6 MB written out
    await refused({ name: 'chain', first_step: 's0', steps: chain(1_001) }, 'canvas_too_many_steps', 'a canvas has at most 1,000 steps');
    const ok = await api.call(key, 'POST', '/api/canvases', { name: 'chain', first_step: 's0', steps: chain(1_000) });
    expect(ok.status).toBe(201);
    expect((await api.call(key, 'POST', `/api/canvases/${ok.body.id}/launch`)).body).toMatchObject({ status: 'active' });
  });

  it(`refuses NUL in a name, a step id, an event name or a webhook body${kind === 'postgres' ? ' (the name was a 500 on PostgreSQL)' : ''}`, async () => {
    await refused({ name: 'a\u0000b' }, 'invalid_canvas', 'name: must not contain the NUL character (U+0000)');
    await refused({ name: 'x', entry: { type: 'event', event: 'buy\u0000' } }, 'invalid_canvas', 'entry.event: must not contain the NUL character');
    await refused({ name: 'x', steps: [{ id: 'a\u0000', type: 'delay' }] }, 'invalid_canvas', 'steps.0.id: must not contain the NUL character');
    await refused({ name: 'x', steps: [{ id: 'h', type: 'webhook', config: { body: { k: ['\u0000'] } } }] }, 'invalid_canvas', 'steps.0.config.body.k.0: must not contain the NUL character');
  });

  it('refuses a name of 201 characters or with control characters, naming the cap; takes 200', async () => {
    await refused({ name: 'n'.repeat(201) }, 'invalid_canvas', 'name: a canvas name is at most 200 characters');
    await refused({ name: 'tab\there' }, 'invalid_canvas', 'name: a canvas name must not contain control characters');
    await refused({ name: 'x', steps: [{ id: 's'.repeat(101), type: 'delay' }] }, 'invalid_canvas', 'steps.0.id: a step id is at most 100 characters');
    expect((await api.call(key, 'POST', '/api/canvases', { name: 'n'.repeat(200) })).status).toBe(201);
  });

  it('refuses more than 1 MB of JSON with a 400 naming the cap, not a 413; takes exactly 1 MB', async () => {
    await refused(canvasOfBytes(1_048_577), 'canvas_too_large', 'a canvas is at most 1 MB of JSON (1,048,576 bytes)');
    await refused(canvasOfBytes(5_000_000), 'canvas_too_large', 'a canvas is at most 1 MB of JSON');
    expect((await api.call(key, 'POST', '/api/canvases', canvasOfBytes(1_048_576))).status).toBe(201);
    const { body: draft } = await api.call(key, 'POST', '/api/canvases', { name: 'small' });
    await refused(canvasOfBytes(1_048_577), 'canvas_too_large', 'at most 1 MB of JSON', 'PUT', `/api/canvases/${draft.id}`);
    // A body over 32 MB (the API's own limit) is a canvas over 1 MB all the same.
    await refused(canvasOfBytes(33 * 1024 * 1024), 'canvas_too_large', 'at most 1 MB of JSON');
  });

  it('counts the bytes as they arrive: a chunked body without content-length is capped the same', async () => {
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = api.app.server.address() as AddressInfo;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/api/canvases', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      const text = canvasOfBytes(1_200_000);
      for (let i = 0; i < text.length; i += 100_000) req.write(text.slice(i, i + 100_000));
      req.end();
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe('canvas_too_large');
  });

  it('stored nothing it refused', async () => {
    const all = (await api.call(key, 'GET', '/api/canvases?limit=500')).body.canvases as { name: string }[];
    expect(all.map((c) => c.name).sort()).toEqual(['big', 'chain', 'n'.repeat(200), 'small', 'x']);
  });

  it('leaves a canvas stored before the caps as it is: it reads, lists and launches; an edit must meet them', async () => {
    const id = newCanvasId();
    let audience: NonNullable<CanvasDefinition['audience']> = { attribute: 'a', op: 'exists' };
    for (let i = 0; i < 1_000; i++) audience = { all: [audience] };
    const steps = chain(20_000) as CanvasDefinition['steps'];
    const definition: CanvasDefinition = { name: 'legacy '.repeat(50), entry: { type: 'api' }, audience, reentry: { allowed: false, after_seconds: 0 }, exit: { events: [] }, first_step: 's0', steps };
    api.clock.advance(1_000); // the newest, so first in the list
    await store().transaction((tx) => tx.insertCanvas({ id, workspaceId: wsId, definition }, api.clock.now()));

    const got = await api.call(key, 'GET', `/api/canvases/${id}`);
    expect(got.status).toBe(200);
    expect(got.body.steps).toHaveLength(20_000);
    expect((await api.call(key, 'GET', '/api/canvases?limit=1')).body.canvases[0].id).toBe(id);
    expect((await api.call(key, 'POST', `/api/canvases/${id}/launch`)).body).toMatchObject({ status: 'active', version: 1 });
    await refused(got.body, 'canvas_too_large', 'at most 1 MB of JSON', 'PUT', `/api/canvases/${id}`);
    await refused({ ...got.body, steps: compactChain(1_001) }, 'canvas_too_many_steps', 'at most 1,000 steps', 'PUT', `/api/canvases/${id}`);
    await refused({ ...got.body, steps: [] }, 'canvas_too_deep', 'audience: a filter nests at most 32 filters deep', 'PUT', `/api/canvases/${id}`);
  });
});
