/**
 * Issue 16, finding 3: one poison entry must not stall everyone. A webhook body nested 100,000 deep,
 * a user_update value with a NUL, a write the database refuses: each fails its own entry with a
 * reason (on the user's page and in the step's analytics), and every other user, canvas and
 * workspace goes on in the same run of the worker. On SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import type { ProfilePatch, Store } from '../../src/store/port.ts';
import { describeEachStore } from '../support/databases.ts';
import { engineHarness, type EngineHarness } from '../support/engine.ts';
import { rawSql } from '../support/raw-db.ts';
import { startReceiver, type Receiver } from '../support/receivers.ts';

let hook: Receiver;
beforeAll(async () => (hook = await startReceiver()));
afterAll(() => hook.close());

interface Step {
  id: string;
  entered: number;
  proceeded: number;
  exited: number;
  failed: number;
  failures: { reason: string; count: number }[];
}

describeEachStore('poison entries fail alone', ({ store, url, kind }) => {
  let h: EngineHarness;
  beforeEach(async () => {
    h = await engineHarness(store(), { webhookAllowHosts: '127.0.0.1/32' }); // the receiver is on 127.0.0.1 (spec §9 closes it unless opened)
    hook.seen.length = 0;
  });

  async function launch(key: string, canvas: unknown): Promise<string> {
    const created = await h.call(key, 'POST', '/api/canvases', canvas);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect((await h.call(key, 'POST', `/api/canvases/${created.body.id}/launch`)).status).toBe(200);
    return created.body.id as string;
  }
  /** Gives a canvas's definition, as the database holds it, the attacker's text in place of `placeholder`. */
  async function poison(canvasId: string, placeholder: string, text: string): Promise<void> {
    const [row] = await rawSql<{ definition: string }>(kind, url(), 'select definition from canvas_versions where canvas_id = ?', [canvasId]);
    expect(row!.definition).toContain(placeholder);
    await rawSql(kind, url(), 'update canvas_versions set definition = ? where canvas_id = ?', [row!.definition.replace(placeholder, text), canvasId]);
  }
  const analytics = async (key: string, id: string) => Object.fromEntries(((await h.call(key, 'GET', `/api/canvases/${id}/analytics`)).body.steps as Step[]).map((s) => [s.id, s])) as Record<string, Step>;
  const trigger = async (key: string, canvasId: string, ids: string[]) => expect((await h.call(key, 'POST', '/api/canvas/trigger/send', { canvas_id: canvasId, recipients: ids.map((id) => ({ external_user_id: id })) })).status).toBe(201);
  const entryOf = async (key: string, externalId: string) => (await h.call(key, 'GET', `/api/users/${externalId}`)).body.canvas_entries[0];
  /** At rest (nobody waiting), on every step: entered = proceeded + exited + failed. */
  const balanced = (steps: Record<string, Step>) => {
    for (const s of Object.values(steps)) expect(s.entered, s.id).toBe(s.proceeded + s.exited + s.failed);
  };
  const hookThenMark = (name: string, body: unknown) => ({
    name, first_step: 'hook',
    steps: [
      { id: 'hook', type: 'webhook', next: 'mark', config: { url: `${hook.url}/${name}/{{external_id}}`, body } },
      { id: 'mark', type: 'user_update', config: { set: { reached: true } }, next: null },
    ],
  });

  it('a webhook body nested 100,000 deep fails its entry (template_too_deep); other users and another workspace go on in the same run', async () => {
    const a = await h.workspace();
    const b = await h.workspace();
    const poisoned = await launch(a.key, hookThenMark('poisoned', { x: 'PLACEHOLDER' }));
    await poison(poisoned, '{"x":"PLACEHOLDER"}', '{"a":'.repeat(100_000) + '"{{external_id}}"' + '}'.repeat(100_000));
    const plain = await launch(a.key, { name: 'plain', first_step: 'w', steps: [{ id: 'w', type: 'delay', config: { seconds: 0 }, next: null }] });
    const other = await launch(b.key, hookThenMark('other', { user: '{{external_id}}' }));
    await trigger(a.key, poisoned, ['p1']);
    await trigger(a.key, plain, ['a1', 'a2']);
    await trigger(b.key, other, ['b1', 'b2']);

    // One run of the worker claims all five entries, across both workspaces.
    expect(await h.worker.runOnce()).toBe(5);
    expect(await entryOf(a.key, 'p1')).toMatchObject({ canvas_id: poisoned, step_id: 'hook', status: 'failed', failure_reason: 'template_too_deep' });
    expect((await analytics(a.key, poisoned)).hook).toMatchObject({ entered: 1, proceeded: 0, exited: 0, failed: 1, failures: [{ reason: 'template_too_deep', count: 1 }] });
    expect((await analytics(a.key, plain)).w).toMatchObject({ entered: 2, exited: 2, failed: 0 });
    // Workspace B's users wait at their webhook step, their calls in the outbox.
    expect((await analytics(b.key, other)).hook).toMatchObject({ entered: 2, proceeded: 0, failed: 0 });
    expect(await store().countWebhookCalls(b.id)).toBe(2);

    await h.worker.drain();
    expect(hook.seen.map((r) => r.path).sort()).toEqual(['/other/b1', '/other/b2']);
    const done = await analytics(b.key, other);
    expect(done.mark).toMatchObject({ entered: 2, exited: 2 });
    balanced(done);
    balanced(await analytics(a.key, poisoned));
    expect(await h.worker.runOnce()).toBe(0); // nothing is retried: the poisoned entry is over
  });

  it('a user_update value with a NUL fails its entry (invalid_value); the batch commits', async () => {
    const a = await h.workspace();
    const b = await h.workspace();
    const nul = await launch(a.key, { name: 'nul', first_step: 'mark', steps: [{ id: 'mark', type: 'user_update', config: { set: { first_name: 'PLACEHOLDER' } }, next: null }] });
    // The JSON text `"x\u0000y"`: a string with a NUL, which PostgreSQL refuses in a text column.
    await poison(nul, '"PLACEHOLDER"', '"x\\u0000y"');
    const fine = await launch(a.key, { name: 'fine', first_step: 'mark', steps: [{ id: 'mark', type: 'user_update', config: { set: { first_name: 'Ann' } }, next: null }] });
    const far = await launch(b.key, { name: 'far', first_step: 'mark', steps: [{ id: 'mark', type: 'user_update', config: { set: { tier: 'gold' } }, next: null }] });
    await trigger(a.key, nul, ['n1', 'n2']);
    await trigger(a.key, fine, ['f1']);
    await trigger(b.key, far, ['g1']);

    expect(await h.worker.runOnce()).toBe(4);
    for (const id of ['n1', 'n2']) {
      expect(await entryOf(a.key, id)).toMatchObject({ status: 'failed', step_id: 'mark', failure_reason: 'invalid_value' });
      expect((await h.call(a.key, 'GET', `/api/users/${id}`)).body.profile.first_name).toBeNull();
    }
    expect((await analytics(a.key, nul)).mark).toMatchObject({ entered: 2, exited: 0, failed: 2, failures: [{ reason: 'invalid_value', count: 2 }] });
    expect((await h.call(a.key, 'GET', '/api/users/f1')).body.profile.first_name).toBe('Ann');
    expect((await h.call(b.key, 'GET', '/api/users/g1')).body.profile.custom).toEqual({ tier: 'gold' });
    balanced(await analytics(a.key, fine));
    balanced(await analytics(b.key, far));
    expect(await h.worker.runOnce()).toBe(0);
  });

  it('a write the database refuses anyway: the batch is committed in halves, only the guilty entries fail (write_refused), and never in a loop', async () => {
    // A store whose profile writes refuse two users, as a database would refuse a value nobody checked.
    const guilty = new Set(['u3', 'u17']);
    let transactions = 0;
    const refusing: Store = {
      ...store(),
      transaction: (fn) => {
        transactions++;
        return store().transaction((tx) =>
          fn({
            ...tx,
            upsertProfiles: async (ws: string, patches: readonly ProfilePatch[], now: number) => {
              if (patches.some((p) => guilty.has(p.externalId) && 'reached' in p.custom)) throw new Error('refused by the database');
              return tx.upsertProfiles(ws, patches, now);
            },
          }),
        );
      },
    };
    const hr = await engineHarness(refusing, { webhookAllowHosts: '127.0.0.1/32' });
    const ws = await hr.workspace();
    const created = await hr.call(ws.key, 'POST', '/api/canvases', { name: 'mark', first_step: 'mark', steps: [{ id: 'mark', type: 'user_update', config: { set: { reached: true } }, next: null }] });
    expect((await hr.call(ws.key, 'POST', `/api/canvases/${created.body.id}/launch`)).status).toBe(200);
    const ids = Array.from({ length: 20 }, (_, i) => `u${i}`);
    expect((await hr.call(ws.key, 'POST', '/api/canvas/trigger/send', { canvas_id: created.body.id, recipients: ids.map((id) => ({ external_user_id: id })) })).status).toBe(201);

    transactions = 0;
    expect(await hr.worker.runOnce()).toBe(20);
    // 1 + halves down to each guilty user, plus its failure: far fewer than one per user, and finite.
    expect(transactions).toBeLessThanOrEqual(2 * 2 * Math.ceil(Math.log2(20)) + 3);
    for (const id of ids) {
      const user = (await hr.call(ws.key, 'GET', `/api/users/${id}`)).body;
      if (guilty.has(id)) {
        expect(user.canvas_entries[0]).toMatchObject({ status: 'failed', step_id: 'mark', failure_reason: 'write_refused' });
        expect(user.profile.custom).toEqual({});
      } else {
        expect(user.canvas_entries[0]).toMatchObject({ status: 'exited', failure_reason: null });
        expect(user.profile.custom).toEqual({ reached: true });
      }
    }
    const steps = (await hr.call(ws.key, 'GET', `/api/canvases/${created.body.id}/analytics`)).body.steps as Step[];
    expect(steps[0]).toMatchObject({ entered: 20, exited: 18, failed: 2, failures: [{ reason: 'write_refused', count: 2 }] });
    expect(await hr.worker.runOnce()).toBe(0);
  });

  it('a scheduled launch whose first step fails enters its users failed, with the reason, and goes on', async () => {
    const a = await h.workspace();
    await h.call(a.key, 'POST', '/api/users/track', { attributes: Array.from({ length: 30 }, (_, i) => ({ external_id: `s${i}`, blob: i === 7 ? 'x'.repeat(600_000) : 'small' })) });
    const id = await launch(a.key, { name: 'launch', entry: { type: 'scheduled', at: null }, first_step: 'hook', steps: [{ id: 'hook', type: 'webhook', next: null, config: { url: `${hook.url}/launch`, body: { a: '{{blob}}', b: '{{blob}}' } } }] });
    await h.worker.drain();
    expect(await entryOf(a.key, 's7')).toMatchObject({ status: 'failed', failure_reason: 'template_too_large' });
    const steps = await analytics(a.key, id);
    expect(steps.hook).toMatchObject({ entered: 30, exited: 29, failed: 1, failures: [{ reason: 'template_too_large', count: 1 }] });
    expect(hook.seen.filter((r) => r.path === '/launch')).toHaveLength(29);
    balanced(steps);
  });
});
