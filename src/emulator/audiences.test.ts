import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../core/clock.ts';
import { startEmulator, type RunningEmulator } from './index.ts';
import { adminPost, connect, createAudience, emailMapping, EU, get, post, US } from './testing.ts';

const clock = fakeClock('2026-03-01T12:34:56Z');
let emu: RunningEmulator;
let token: string;
beforeAll(async () => {
  emu = await startEmulator({ clock });
});
afterAll(() => emu.close());
beforeEach(async () => {
  await adminPost(emu, '/reset');
  token = await connect(emu, [US, EU]);
});

const list = (query: Record<string, string | number | string[]>) =>
  get(emu, '/dmp/custom_audience/list/', { advertiser_id: US, ...query }, token);
const getOne = (id: string, advertiserId = US) =>
  get(emu, '/dmp/custom_audience/get/', { advertiser_id: advertiserId, custom_audience_ids: [id] }, token);

describe('create', () => {
  it('returns a numeric audience_id that get then describes as a new Partner audience', async () => {
    const id = await createAudience(emu, token, 'Canvas 42 VIP');
    expect(id).toMatch(/^\d+$/);
    const res = await getOne(id);
    expect(res.code).toBe(0);
    const item = res.data.list![0]!;
    expect(item.audience_details).toMatchObject({
      audience_id: id,
      name: 'Canvas 42 VIP',
      type: 'Partner',
      audience_type: 'Partner',
      cover_num: 0,
      is_creator: true,
      create_time: '2026-03-01 12:34:56',
      expired_time: '2027-03-01 12:34:56',
    });
    expect(item.audience_history).toEqual([
      { opt_time: '2026-03-01 12:34:56', action: 'create', msg: null, editor: 'open_api', action_detail: '0' },
    ]);
  });

  it('reads a body that is not ASCII as UTF-8 (mapping bodies, all ASCII, take a faster path)', async () => {
    const id = await createAudience(emu, token, 'Clientes fiéis 🎯 東京');
    expect((await getOne(id)).data.list![0]!.audience_details).toMatchObject({ name: 'Clientes fiéis 🎯 東京' });
  });

  it('truncates names longer than 70 characters to 67 + "..."', async () => {
    const long = 'x'.repeat(60) + 'abcdefghijk'; // 71
    const exact = 'y'.repeat(70);
    const [a, b] = [await createAudience(emu, token, long), await createAudience(emu, token, exact)];
    expect((await getOne(a)).data.list![0]!.audience_details).toMatchObject({ name: `${'x'.repeat(60)}abcdefg...` });
    expect((await getOne(b)).data.list![0]!.audience_details).toMatchObject({ name: exact });
  });

  it('allows duplicate names, each with its own id', async () => {
    expect(await createAudience(emu, token, 'Same')).not.toBe(await createAudience(emu, token, 'Same'));
  });

  it('refuses a missing name (40002) and an advertiser the token was not granted (40001)', async () => {
    const noName = await post(emu, '/segment/audience/', { advertiser_id: US, action: 'create' }, token);
    expect(noName).toMatchObject({ code: 40002, message: 'custom_audience_name: is required' });
    const usOnly = await connect(emu, [US]);
    const denied = await post(emu, '/segment/audience/', { advertiser_id: EU, custom_audience_name: 'x' }, usOnly);
    expect(denied.code).toBe(40001);
  });

  it('refuses the 401st live audience of an advertiser, and accepts it again after a delete', async () => {
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => createAudience(emu, token, `a${batch * 50 + i}`)));
    }
    const over = await post(emu, '/segment/audience/', { advertiser_id: US, custom_audience_name: 'one too many' }, token);
    expect(over).toMatchObject({ code: 40002, message: 'The number of audiences has reached the limit (400)', data: {} });
    expect(await createAudience(emu, token, 'other advertiser', EU)).toMatch(/^\d+$/);
    const first = (await list({ page_size: 1 })).data.list![0]!.audience_id as string;
    await post(emu, '/segment/audience/', { advertiser_id: US, action: 'delete', delete_audience_id: first }, token);
    expect(await createAudience(emu, token, 'fits again')).toMatch(/^\d+$/);
  });
});

describe('list', () => {
  it('paginates with page_info and excludes deleted audiences', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) ids.push(await createAudience(emu, token, `aud ${i}`));
    await createAudience(emu, token, 'belongs to EU', EU);

    const first = await list({});
    expect(first.data.list).toHaveLength(10);
    expect(first.data.page_info).toEqual({ page: 1, page_size: 10, total_number: 25, total_page: 3 });
    const third = await list({ page: 3, page_size: 10 });
    expect(third.data.list!.map((a) => a.audience_id)).toEqual(ids.slice(20));

    await post(emu, '/dmp/custom_audience/delete/', { advertiser_id: US, custom_audience_ids: [ids[0], ids[1]] }, token);
    const all = await list({ page_size: 100 });
    expect(all.data.page_info).toEqual({ page: 1, page_size: 100, total_number: 23, total_page: 1 });
    expect(all.data.list!.map((a) => a.audience_id)).not.toContain(ids[0]);
    expect(all.data.list![0]).toMatchObject({
      audience_type: 'Partner',
      audience_sub_type: 'NORMAL',
      calculate_type: 'MULTIPLE_TYPES',
      cover_num: 0,
      is_valid: true,
      is_expiring: false,
      is_creator: true,
      shared: false,
      create_time: '2026-03-01 12:34:56',
      expired_time: '2027-03-01 12:34:56',
    });
  });

  it.each([
    [{ page_size: 101 }, /^page_size: /],
    [{ page_size: 0 }, /^page_size: /],
    [{ page: 0 }, /^page: /],
    [{ page: 'two' }, /^page: /],
  ])('refuses %j with 40002', async (query, message) => {
    expect(await list(query)).toMatchObject({ code: 40002, message: expect.stringMatching(message) });
  });

  it('refuses an advertiser the token was not granted', async () => {
    const usOnly = await connect(emu, [US]);
    expect((await get(emu, '/dmp/custom_audience/list/', { advertiser_id: EU }, usOnly)).code).toBe(40001);
  });
});

describe('get and delete', () => {
  it('get says "does not exist" for unknown, deleted and other advertisers\' audiences', async () => {
    const deleted = await createAudience(emu, token, 'gone');
    await post(emu, '/segment/audience/', { advertiser_id: US, action: 'delete', delete_audience_id: deleted }, token);
    const foreign = await createAudience(emu, token, 'eu', EU);
    for (const id of ['123', deleted, foreign]) {
      expect(await getOne(id)).toMatchObject({ code: 40002, message: expect.stringContaining('does not exist') });
    }
  });

  it('/segment/audience/ delete removes the audience; a second delete is refused', async () => {
    const id = await createAudience(emu, token);
    const del = { advertiser_id: US, action: 'delete', delete_audience_id: id };
    expect((await post(emu, '/segment/audience/', del, token)).code).toBe(0);
    expect((await list({})).data.page_info).toMatchObject({ total_number: 0 });
    expect(await post(emu, '/segment/audience/', del, token)).toMatchObject({ code: 40002 });
  });

  it('/dmp/custom_audience/delete/ deletes all listed ids, or none if one is unknown', async () => {
    const [a, b, c] = [await createAudience(emu, token), await createAudience(emu, token), await createAudience(emu, token)];
    const bad = await post(emu, '/dmp/custom_audience/delete/', { advertiser_id: US, custom_audience_ids: [a, '999'] }, token);
    expect(bad).toMatchObject({ code: 40002, message: expect.stringContaining('does not exist') });
    expect((await list({})).data.page_info).toMatchObject({ total_number: 3 });
    const ok = await post(emu, '/dmp/custom_audience/delete/', { advertiser_id: US, custom_audience_ids: [a, b] }, token);
    expect(ok).toMatchObject({ code: 0, message: 'OK', data: {} });
    expect((await list({})).data.list!.map((x) => x.audience_id)).toEqual([c]);
    const empty = await post(emu, '/dmp/custom_audience/delete/', { advertiser_id: US, custom_audience_ids: [] }, token);
    expect(empty.code).toBe(40002);
  });
});

describe('cover_num', () => {
  it('is 0 under 1,000 members and the distinct count from 1,000', async () => {
    const id = await createAudience(emu, token);
    expect((await post(emu, '/segment/mapping/', emailMapping(id, 999), token)).code).toBe(0);
    const cover = async () => (await getOne(id)).data.list![0]!.audience_details as Record<string, unknown>;
    expect(await cover()).toMatchObject({ cover_num: 0 });
    await post(emu, '/segment/mapping/', emailMapping(id, 1000), token); // 999 already in, 1 new
    expect(await cover()).toMatchObject({ cover_num: 1000 });
    expect((await list({})).data.list![0]).toMatchObject({ cover_num: 1000 });
  });

  it('shows membership and is_valid only after coverDelayMs', async () => {
    const delayed = await startEmulator({ clock, coverDelayMs: 60_000 });
    try {
      const t = await connect(delayed, [US]);
      const id = await createAudience(delayed, t);
      const details = async () =>
        (await get(delayed, '/dmp/custom_audience/get/', { advertiser_id: US, custom_audience_ids: [id] }, t)).data.list![0]!
          .audience_details as Record<string, unknown>;
      await post(delayed, '/segment/mapping/', emailMapping(id, 1500), t);
      expect(await details()).toMatchObject({ cover_num: 0, is_valid: false });
      clock.advance(30_000);
      await post(delayed, '/segment/mapping/', emailMapping(id, 500, 'delete'), t); // 1,000 left, not yet visible
      clock.advance(30_000);
      expect(await details()).toMatchObject({ cover_num: 1500, is_valid: true });
      clock.advance(30_000);
      expect(await details()).toMatchObject({ cover_num: 1000 });
    } finally {
      await delayed.close();
    }
  });
});
