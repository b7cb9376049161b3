// GET /api/canvases is paged (spec §4): ?limit= (default 50, at most 500) and ?cursor=, the answer
// {"canvases":[…],"next_cursor":…|null}; newest first, then by id, stable while canvases are created.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachStore } from '../support/databases.ts';
import { canvasApi, type CanvasApi } from './canvas-app.ts';

describeEachStore('api: GET /api/canvases pages', ({ store }) => {
  let api: CanvasApi;
  beforeAll(async () => {
    api = await canvasApi(store());
  });
  afterAll(async () => {
    await api?.close();
  });

  async function create(key: string, name: string, advance = 1): Promise<string> {
    api.clock.advance(advance);
    const res = await api.call(key, 'POST', '/api/canvases', { name });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** Every page from the first, following next_cursor. */
  async function walk(key: string, query: string): Promise<{ pages: string[][]; ids: string[] }> {
    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await api.call(key, 'GET', `/api/canvases?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      pages.push(res.body.canvases.map((c: { id: string }) => c.id));
      cursor = res.body.next_cursor;
    } while (cursor !== null && pages.length < 100);
    return { pages, ids: pages.flat() };
  }

  it('answers 50 by default with a next_cursor, and null after the last canvas', async () => {
    const { key } = await api.workspace();
    for (let i = 0; i < 51; i++) await create(key, `c${i}`);
    const first = await api.call(key, 'GET', '/api/canvases');
    expect(first.body.canvases).toHaveLength(50);
    expect(first.body.canvases[0].name).toBe('c50');
    expect(typeof first.body.next_cursor).toBe('string');
    const second = await api.call(key, 'GET', `/api/canvases?cursor=${first.body.next_cursor}`);
    expect(second.body).toEqual({ canvases: [expect.objectContaining({ name: 'c0' })], next_cursor: null });
    const all = await api.call(key, 'GET', '/api/canvases?limit=500');
    expect(all.body.canvases).toHaveLength(51);
    expect(all.body.next_cursor).toBeNull();
  });

  it('orders newest first, then by id among canvases of the same millisecond, and pages through each once', async () => {
    const { key } = await api.workspace();
    const created: { id: string; at: number }[] = [];
    for (let i = 0; i < 12; i++) {
      const id = await create(key, `c${i}`, i % 4 === 0 ? 1_000 : 0); // runs of four created in the same millisecond
      created.push({ id, at: api.clock.now() });
    }
    const expected = [...created].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1)).map((c) => c.id);
    for (const limit of [1, 3, 5, 12, 500]) {
      const { pages, ids } = await walk(key, `limit=${limit}`);
      expect(ids, `limit ${limit}`).toEqual(expected);
      expect(pages.every((p) => p.length <= limit)).toBe(true);
    }
  });

  it('is stable while canvases are created between pages: none skipped, none twice', async () => {
    const { key } = await api.workspace();
    const before: string[] = [];
    for (let i = 0; i < 9; i++) before.push(await create(key, `old${i}`, i % 3 === 0 ? 1 : 0));
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res = await api.call(key, 'GET', `/api/canvases?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      seen.push(...res.body.canvases.map((c: { id: string }) => c.id));
      cursor = res.body.next_cursor;
      await create(key, `new${page++}`, page % 2); // newer than every page already read, sometimes the same millisecond
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => before.includes(id)).sort()).toEqual([...before].sort());
  });

  it('pages one status, and never another workspace, whatever cursor is given', async () => {
    const { key } = await api.workspace();
    const other = await api.workspace();
    const theirs = await create(other.key, 'theirs');
    const a = await create(key, 'a');
    const b = await create(key, 'b');
    const c = await create(key, 'c');
    await api.call(key, 'POST', `/api/canvases/${b}/archive`);
    expect((await walk(key, 'status=draft&limit=1')).ids).toEqual([c, a]);
    expect((await walk(key, 'status=archived&limit=1')).ids).toEqual([b]);
    // A cursor from the other workspace only says where to start: the page is still this workspace's.
    const theirCursor = (await api.call(other.key, 'GET', '/api/canvases?limit=1')).body;
    expect(theirCursor.canvases.map((x: { id: string }) => x.id)).toEqual([theirs]);
    const mine = await api.call(key, 'GET', '/api/canvases?limit=500');
    expect(mine.body.canvases.map((x: { id: string }) => x.id)).not.toContain(theirs);
  });

  it.each(['0', '501', '-1', 'abc', '1.5', '', '1e3', '50&limit=60', '1e999', 'Infinity', '-Infinity', 'NaN'])('refuses limit=%s with a 400', async (limit) => {
    const { key } = await api.workspace();
    const res = await api.call(key, 'GET', `/api/canvases?limit=${limit}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it.each([
    ['not base64url', '!!!!'],
    ['base64url of text', Buffer.from('hello').toString('base64url')],
    ['base64url of a wrong shape', Buffer.from('[1]').toString('base64url')],
    ['a negative time', Buffer.from('[-1,"cv_x"]').toString('base64url')],
    ['a NUL in the id', Buffer.from('[1,"cv\\u0000"]').toString('base64url')],
    ['an object', Buffer.from('{"__proto__":{"x":1}}').toString('base64url')],
    ['too long', 'A'.repeat(600)],
    ['percent-encoded NUL', '%00'],
  ])('refuses a cursor that is %s with a 400', async (_what, cursor) => {
    const { key } = await api.workspace();
    const res = await api.call(key, 'GET', `/api/canvases?cursor=${cursor}`);
    expect(res.status).toBe(400);
    expect(['invalid_cursor', 'invalid_request']).toContain(res.body.error.code);
  });
});
