// Error messages and user-controlled keys (issue 16, finding 9): a body with a `__proto__` key was
// answered "Body is not valid JSON" (it is valid JSON), and a key was spliced raw into the path a
// message names, so `"x: fine; name"` read as a path and a message of its own.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testApi, type TestApi } from '../support/api.ts';
import { describeEachStore } from '../support/databases.ts';

const REFUSED_KEY = `that is refused: keys named "__proto__", and "prototype" inside "constructor", could reach the server's object prototypes`;

describeEachStore('api: error messages name keys safely', ({ store }) => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi(store());
    key = (await api.workspace()).key;
  });
  afterAll(async () => {
    await api?.close();
  });

  it.each([
    ['/api/users/track', '{"attributes":[{"external_id":"u","__proto__":{"admin":true}}]}', 'attributes.0["__proto__"]'],
    ['/api/canvases', '{"name":"x","steps":[{"id":"u","type":"user_update","config":{"set":{"__proto__":{"admin":true}}}}]}', 'steps.0.config.set["__proto__"]'],
    ['/api/canvas/trigger/send', '{"canvas_id":"c","recipients":[{"external_user_id":"u","context":{"constructor":{"prototype":{"x":1}}}}]}', 'recipients.0.context["constructor"]["prototype"]'],
  ])('POST %s: a prototype key is refused by name and place, as a prototype key', async (url, body, where) => {
    const res = await api.call(key, 'POST', url, body);
    expect(res.status).toBe(400);
    expect(res.body.error).toEqual({ code: 'bad_request', message: `the body has a key ${where} ${REFUSED_KEY}` });
  });

  it('quotes a key that is not a plain word in a canvas problem', async () => {
    const res = await api.call(key, 'POST', '/api/canvases', { name: 'x', steps: [{ id: 'h', type: 'webhook', config: { headers: { 'x: fine; name': 5 } } }] });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('the body is not a canvas: steps.0.config.headers["x: fine; name"]: Invalid input: expected string, received number');
  });

  it('quotes such a key in a /users/track object error too', async () => {
    const res = await api.call(key, 'POST', '/api/users/track', '{"attributes":[{"external_id":"u","a.b: fine; constructor":1e999}]}');
    expect(res.status).toBe(200);
    expect(res.body.errors).toEqual([{ index: 0, type: 'attributes', message: '["a.b: fine; constructor"]: must be JSON with finite numbers, at most 32 levels deep' }]);
  });
});
