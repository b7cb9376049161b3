/**
 * Partner audience routes (reference §3.1–§3.4, §7.5): create and delete through `/segment/audience/`,
 * list, get and delete through `/dmp/custom_audience/…`. Check order: token, parameters, permission,
 * business rules (§7.3).
 */
import type { FastifyInstance } from 'fastify';
import { getItem, listItem } from './audience-view.ts';
import { requireAdvertiser, requireToken, type EmulatorContext } from './context.ts';
import { ApiError, envelopeRoute, MSG, paramError } from './envelope.ts';
import { asParams, optionalInt, optionalString, requiredString, stringArray } from './params.ts';
import { MAX_AUDIENCES_PER_ADVERTISER, type Audience } from './state.ts';

const API = '/open_api/v1.3';
/** `/segment/audience/` truncates longer names to 67 characters + "..." (reference §3.1). */
const MAX_NAME = 70;

function truncateName(name: string): string {
  const chars = [...name]; // by code point, so an emoji is never cut in half
  return chars.length > MAX_NAME ? `${chars.slice(0, MAX_NAME - 3).join('')}...` : name;
}

const missing = (field: string, id: string): ApiError => paramError(field, `audience ${id} does not exist`);

export function registerAudienceRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const { clock, state } = ctx;

  app.post(
    `${API}/segment/audience/`,
    envelopeRoute(clock, (req) => {
      const token = requireToken(ctx, req);
      const body = asParams(req.body);
      const advertiserId = requiredString(body, 'advertiser_id');
      const action = (optionalString(body, 'action') ?? 'create').toLowerCase();
      if (action === 'create') {
        const name = requiredString(body, 'custom_audience_name');
        if (name.trim() === '') throw paramError('custom_audience_name', 'must not be blank');
        requireAdvertiser(token, advertiserId);
        if (state.liveAudiences(advertiserId).length >= MAX_AUDIENCES_PER_ADVERTISER) {
          throw new ApiError(40002, MSG.audienceLimit);
        }
        return { audience_id: state.createAudience(advertiserId, truncateName(name)).audienceId };
      }
      if (action === 'delete') {
        const audienceId = requiredString(body, 'delete_audience_id');
        requireAdvertiser(token, advertiserId);
        const audience = state.ownedAudience(audienceId, advertiserId);
        if (!audience) throw missing('delete_audience_id', audienceId);
        audience.deleted = true;
        return { audience_id: audienceId };
      }
      throw paramError('action', 'must be "create" or "delete"');
    }),
  );

  app.get(
    `${API}/dmp/custom_audience/list/`,
    envelopeRoute(clock, (req) => {
      const token = requireToken(ctx, req);
      const query = asParams(req.query, 'query');
      const advertiserId = requiredString(query, 'advertiser_id');
      const page = optionalInt(query, 'page', 1, 1, 1_000_000);
      const pageSize = optionalInt(query, 'page_size', 10, 1, 100);
      const only = stringArray(query, 'custom_audience_ids', 100, false);
      requireAdvertiser(token, advertiserId);
      let audiences = state.liveAudiences(advertiserId);
      if (only) audiences = audiences.filter((a) => only.includes(a.audienceId));
      const now = clock.now();
      const list = audiences.slice((page - 1) * pageSize, page * pageSize).map((a) => listItem(a, now, ctx.coverDelayMs));
      return {
        list,
        page_info: {
          page,
          page_size: pageSize,
          total_number: audiences.length,
          total_page: Math.ceil(audiences.length / pageSize),
        },
      };
    }),
  );

  app.get(
    `${API}/dmp/custom_audience/get/`,
    envelopeRoute(clock, (req) => {
      const token = requireToken(ctx, req);
      const query = asParams(req.query, 'query');
      const advertiserId = requiredString(query, 'advertiser_id');
      const ids = stringArray(query, 'custom_audience_ids', 100)!;
      const historySize = optionalInt(query, 'history_size', 10, 1, 100);
      requireAdvertiser(token, advertiserId);
      const now = clock.now();
      const list = ids.map((id) => {
        const audience = state.ownedAudience(id, advertiserId);
        if (!audience) throw missing('custom_audience_ids', id);
        return getItem(audience, now, ctx.coverDelayMs, historySize);
      });
      return { list };
    }),
  );

  app.post(
    `${API}/dmp/custom_audience/delete/`,
    envelopeRoute(clock, (req) => {
      const token = requireToken(ctx, req);
      const body = asParams(req.body);
      const advertiserId = requiredString(body, 'advertiser_id');
      const ids = stringArray(body, 'custom_audience_ids', 100)!;
      requireAdvertiser(token, advertiserId);
      // All or nothing: resolve every id before deleting any.
      const audiences: Audience[] = ids.map((id) => state.ownedAudience(id, advertiserId) ?? throwMissing(id));
      for (const a of audiences) a.deleted = true;
      return {};
    }),
  );
}

function throwMissing(id: string): never {
  throw missing('custom_audience_ids', id);
}
