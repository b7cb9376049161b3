/**
 * Fault injection for tests and demos (spec §6 `POST /_emulator/faults`): forced codes or gateway errors
 * for the next N mapping requests, a random transient failure rate, added latency, a lower QPS limit.
 * Each POST replaces the whole configuration, so `{}` clears everything.
 */
import { STATUS_CODES } from 'node:http';
import { MSG, rateLimitMessage } from './envelope.ts';

export interface FaultConfig {
  fail_next?: { count: number; code?: number; http_status?: number };
  error_rate?: number;
  latency_ms?: number;
  rate_limit_qps?: number;
}

/** What a faulted mapping request answers: an HTTP 200 envelope with `code`, or a bare HTTP error page. */
export type Injection = { kind: 'code'; code: number } | { kind: 'http'; status: number };

/** The transient failures TikTok is seen to return (reference §5.3), drawn uniformly by `error_rate`. */
const TRANSIENT: readonly Injection[] = [
  { kind: 'code', code: 50000 },
  { kind: 'code', code: 51001 },
  { kind: 'code', code: 60001 },
  { kind: 'http', status: 502 },
];

export class Faults {
  private config: FaultConfig = {};

  get latencyMs(): number {
    return this.config.latency_ms ?? 0;
  }

  get rateLimitQps(): number | undefined {
    return this.config.rate_limit_qps;
  }

  set(config: FaultConfig): void {
    this.config = structuredClone(config);
  }

  /** The configuration in force, with fail_next's remaining count. */
  snapshot(): FaultConfig {
    return structuredClone(this.config);
  }

  /** Decides whether this mapping request fails, consuming one `fail_next` if so. */
  next(random: () => number = Math.random): Injection | undefined {
    const failNext = this.config.fail_next;
    if (failNext) {
      failNext.count -= 1;
      if (failNext.count <= 0) delete this.config.fail_next;
      return failNext.code !== undefined
        ? { kind: 'code', code: failNext.code }
        : { kind: 'http', status: failNext.http_status! };
    }
    const rate = this.config.error_rate ?? 0;
    if (rate > 0 && random() < rate) return TRANSIENT[Math.floor(random() * TRANSIENT.length)]!;
    return undefined;
  }
}

/** The message TikTok pairs with a code, so an injected code looks like the real answer. */
export function faultMessage(code: number, appId: string): string {
  switch (code) {
    case 40100:
      return rateLimitMessage(appId);
    case 40104:
      return MSG.tokenEmpty;
    case 40105:
      return MSG.tokenInvalid;
    case 50000:
      return MSG.systemError;
    case 51001:
      return MSG.timeout;
    case 60001:
      return MSG.maintenance;
    default:
      return `Injected fault ${code}.`;
  }
}

/** An nginx-style error page, as TikTok's gateway sends on a 502 (reference §1.2). */
export function gatewayErrorPage(status: number): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  return `<html><head><title>${title}</title></head><body><center><h1>${title}</h1></center><hr><center>nginx</center></body></html>`;
}

const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new Error(`${where}: unknown field "${key}" (allowed: ${allowed.join(', ')})`);
  }
}

/** Validates a faults body; returns the configuration or an error message for a 400 answer. */
export function parseFaults(body: unknown): FaultConfig | string {
  try {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('body must be a JSON object');
    const b = body as Record<string, unknown>;
    checkKeys(b, ['fail_next', 'error_rate', 'latency_ms', 'rate_limit_qps'], 'faults');
    const out: FaultConfig = {};
    if (b.fail_next !== undefined) {
      const f = b.fail_next as Record<string, unknown>;
      if (typeof f !== 'object' || f === null || Array.isArray(f)) throw new Error('fail_next must be an object');
      checkKeys(f, ['count', 'code', 'http_status'], 'fail_next');
      if (!isInt(f.count, 1, 1_000_000)) throw new Error('fail_next.count must be an integer from 1 to 1000000');
      if ((f.code === undefined) === (f.http_status === undefined)) {
        throw new Error('fail_next needs exactly one of code or http_status');
      }
      if (f.code !== undefined) {
        if (!isInt(f.code, 1, 99_999)) throw new Error('fail_next.code must be a non-zero TikTok code, e.g. 40100');
        out.fail_next = { count: f.count, code: f.code };
      } else {
        if (!isInt(f.http_status, 400, 599)) throw new Error('fail_next.http_status must be from 400 to 599');
        out.fail_next = { count: f.count, http_status: f.http_status };
      }
    }
    if (b.error_rate !== undefined) {
      const r = b.error_rate;
      if (typeof r !== 'number' || !(r >= 0 && r <= 1)) throw new Error('error_rate must be a number from 0 to 1');
      out.error_rate = r;
    }
    if (b.latency_ms !== undefined) {
      if (!isInt(b.latency_ms, 0, 60_000)) throw new Error('latency_ms must be an integer from 0 to 60000');
      out.latency_ms = b.latency_ms;
    }
    if (b.rate_limit_qps !== undefined) {
      if (!isInt(b.rate_limit_qps, 1, 1_000_000)) throw new Error('rate_limit_qps must be an integer from 1 to 1000000');
      out.rate_limit_qps = b.rate_limit_qps;
    }
    return out;
  } catch (e) {
    return (e as Error).message;
  }
}
