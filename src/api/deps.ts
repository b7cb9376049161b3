import type { Clock } from '../core/clock.ts';
import type { LaunchContext } from '../core/canvas.ts';
import type { CanvasReader } from '../engine/canvas-reader.ts';
import type { WebhookTargetCheck } from '../engine/launch-warnings.ts';
import type { SessionRecord } from '../store/member-port.ts';
import type { NewEvent, Profile, Queries, Store } from '../store/port.ts';
import type { ConnectionService } from '../sync/connections.ts';

/** The journey engine as the API sees it: hooks that run inside the API's own transaction. */
export interface EngineHooks {
  /** After profiles and events are written by /users/track or import: event entries and exit rules. Same transaction. */
  afterTrack(tx: Queries, workspaceId: string, written: { profiles: readonly Profile[]; events: readonly NewEvent[] }, now: number): Promise<void>;
}

/** The journey runtime as the trigger and analytics routes need it. */
export interface JourneyDeps {
  canvases: CanvasReader;
  /** Tells an in-process worker that entries are due now (a no-op in an api-only process). */
  wake(): void;
  /** Tells an in-process sender that sync items are due now. */
  wakeSync?(): void;
}

/** Prometheus text for GET /metrics. */
export interface MetricsSource {
  contentType: string;
  /** `withTenantIds`: include series labelled by workspace and audience (only for a scraper holding the token). */
  text(withTenantIds: boolean): Promise<string>;
  /** COHORT_METRICS_TOKEN: the bearer token that unlocks tenant-labelled series; absent = never served. */
  token?: string;
}

/** GET /readyz: each component this process runs, by name, 'ok' or what is wrong (the store's checks are added by the route). */
export type ComponentReadiness = () => Record<string, 'ok' | string>;

/** What route plugins receive (as plugin options; no service locator). */
export interface ApiDeps {
  store: Store;
  clock: Clock;
  engine: EngineHooks;
  journeys: JourneyDeps;
  /** GET /metrics; absent in route tests. */
  metrics?: MetricsSource;
  /** GET /readyz: the workers this process runs; absent = none (an api-only process, route tests). */
  readiness?: ComponentReadiness;
  /** The workspace's TikTok connection as launch validation needs it (spec §3). */
  tiktokLaunchContext(workspaceId: string): Promise<LaunchContext['tiktok']>;
  /** Launch warnings for webhook targets the guard would refuse (spec §9). Absent: a launch answers no warnings. */
  webhookTargetCheck?: WebhookTargetCheck;
  /** COHORT_PUBLIC_URL is https: session cookies are Secure. */
  secureCookies?: boolean;
  /** The TikTok connection service (routes/partners.ts). Absent in harnesses that do not serve the partner routes. */
  tiktok?: ConnectionService;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook (app.ts) from the Bearer API key or the session; every query is scoped by it. Reading it on a public route throws. */
    workspaceId: string;
    /** The dashboard session the request came with; null for an API key or a public route. */
    session: SessionRecord | null;
    /** The API key the request came with; null for a session or a public route. */
    apiKeyId: string | null;
  }
}
