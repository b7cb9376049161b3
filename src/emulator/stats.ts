/**
 * What the emulator saw, for `GET /_emulator/stats` (spec §6). The mapping counters describe what a client
 * *sent* (refused requests included), so a benchmark can prove it never exceeded TikTok's budget.
 */
import { KeyedWindows } from './sliding-window.ts';

export interface StatsView {
  mapping_requests: number;
  mapping_rows: number;
  max_rows_in_request: number;
  max_mapping_requests_in_any_second: number;
  rate_limited: number;
  requests_by_path: Record<string, number>;
}

/** App key for mapping requests whose token is missing or unknown. */
export const UNKNOWN_APP = 'unknown';

export class Stats {
  private mappingRequests = 0;
  private mappingRows = 0;
  private maxRows = 0;
  private maxPerSecond = 0;
  private rateLimited = 0;
  private byPath = new Map<string, number>();
  private readonly received = new KeyedWindows();

  /** Counts any request under its path without query string, with a trailing slash. */
  countPath(url: string): void {
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (!path.endsWith('/')) path += '/';
    this.byPath.set(path, (this.byPath.get(path) ?? 0) + 1);
  }

  /** A mapping request arrived (before any check), for the app of its token or UNKNOWN_APP. */
  mappingReceived(appKey: string, t: number): void {
    this.mappingRequests += 1;
    const inWindow = this.received.record(appKey, t);
    if (inWindow > this.maxPerSecond) this.maxPerSecond = inWindow;
  }

  /** A mapping request was answered code 0. */
  mappingAccepted(rows: number): void {
    this.mappingRows += rows;
    if (rows > this.maxRows) this.maxRows = rows;
  }

  /** Any 40100 answer, from the limiter or injected. */
  rateLimitedAnswer(): void {
    this.rateLimited += 1;
  }

  view(): StatsView {
    return {
      mapping_requests: this.mappingRequests,
      mapping_rows: this.mappingRows,
      max_rows_in_request: this.maxRows,
      max_mapping_requests_in_any_second: this.maxPerSecond,
      rate_limited: this.rateLimited,
      requests_by_path: Object.fromEntries(this.byPath),
    };
  }

  reset(): void {
    this.mappingRequests = 0;
    this.mappingRows = 0;
    this.maxRows = 0;
    this.maxPerSecond = 0;
    this.rateLimited = 0;
    this.byPath = new Map();
    this.received.clear();
  }
}
