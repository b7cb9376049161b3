/**
 * `GET /api/attributes`: the attribute names a filter may use, for the dashboard's filter builder
 * (issue 19): `external_id` and the standard profile fields of spec §1, then the custom attributes seen
 * in the workspace's newest profiles. Bounded work whatever the workspace's size: one statement over at
 * most SAMPLE_PROFILES profiles (store/queries/attributes.ts), never a scan of every profile.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { JsonType } from '../../store/attribute-port.ts';
import { STANDARD_ATTRIBUTES } from '../../store/port.ts';
import type { ApiDeps } from '../deps.ts';
import { errorResponses } from '../openapi.ts';

/** How many of the newest profiles are read for custom attribute names. */
export const SAMPLE_PROFILES = 1_000;
/** At most this many custom names are answered (a suggestion list, not an inventory). */
export const MAX_CUSTOM_ATTRIBUTES = 500;

const STANDARD: readonly { name: string; type: JsonType }[] = [
  { name: 'external_id', type: 'string' },
  ...STANDARD_ATTRIBUTES.map((name) => ({ name, type: name === 'ads_tracking_enabled' ? ('boolean' as const) : ('string' as const) })),
];
const STANDARD_NAMES = new Set(STANDARD.map((a) => a.name));

const AttributesAnswer = {
  type: 'object',
  required: ['attributes'],
  properties: {
    attributes: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'type', 'standard'],
        properties: {
          name: { type: 'string' },
          type: { type: 'string', enum: ['string', 'number', 'boolean', 'array', 'object', 'null'], description: 'the JSON type most sampled profiles hold under the name' },
          standard: { type: 'boolean', description: 'a standard profile field (spec §1) rather than a custom attribute' },
        },
      },
    },
  },
} as const;

export const attributeRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.get(
    '/api/attributes',
    {
      config: { role: 'viewer' },
      schema: {
        summary: 'Attribute names for filters: the standard profile fields, then custom attributes seen in the workspace',
        description: `The standard fields (external_id and spec §1's) come first. Custom attributes are the keys of the workspace's ${SAMPLE_PROFILES.toLocaleString('en')} most recently created profiles, at most ${MAX_CUSTOM_ATTRIBUTES}, by name, each with the JSON type most of those profiles hold: a name only older profiles use is not listed. Bounded work per request, whatever the number of profiles.`,
        tags: ['users'],
        response: { 200: AttributesAnswer, ...errorResponses(401, 403) },
      },
    },
    async (req) => {
      const custom = await store.listCustomAttributes(req.workspaceId, SAMPLE_PROFILES, MAX_CUSTOM_ATTRIBUTES);
      return {
        attributes: [
          ...STANDARD.map((a) => ({ ...a, standard: true })),
          // A custom key spelled like a standard field is not what a filter on that name reads (profile-view.ts).
          ...custom.filter((a) => !STANDARD_NAMES.has(a.name)).map((a) => ({ ...a, standard: false })),
        ],
      };
    },
  );
};
