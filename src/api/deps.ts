import type { Clock } from '../core/clock.ts';
import type { LaunchContext } from '../core/canvas.ts';
import type { CanvasReader } from '../engine/canvas-reader.ts';
import type { WebhookTargetCheck } from '../engine/launch-warnings.ts';
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
  text(): Promise<string>;
}

/** What route plugins receive (as plugin options; no service locator). */
export interface ApiDeps {
  store: Store;
  clock: Clock;
  engine: EngineHooks;
  journeys: JourneyDeps;
  /** GET /metrics; absent in route tests. */
  metrics?: MetricsSource;
  /** The workspace's TikTok connection as launch validation needs it (spec §3). */
  tiktokLaunchContext(workspaceId: string): Promise<LaunchContext['tiktok']>;
  /** Launch warnings for webhook targets the guard would refuse (spec §9). Absent: a launch answers no warnings. */
  webhookTargetCheck?: WebhookTargetCheck;
  /** The TikTok connection service (routes/partners.ts). Absent in harnesses that do not serve the partner routes. */
  tiktok?: ConnectionService;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook from the Bearer API key; every query is scoped by it. */
    workspaceId: string;
  }
}
