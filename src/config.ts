/**
 * Every setting Cohort reads, in one schema, validated once at start (the Dittofeed loader model).
 * Precedence: command-line flags, then environment, then defaults. `loadConfig` is pure: it receives
 * the environment instead of reading `process.env`, and nothing else in `src/` reads it either.
 */
import { z } from 'zod';
import { parseDuration } from './core/duration.ts';
import { ConfigError } from './core/errors.ts';
import { NO_ALLOWANCES, parseAllowList } from './webhooks/address-policy.ts';

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like 10s, 30m or 13h, got "${text}"` });
    return z.NEVER;
  }
  return ms;
});
/** A duration, or `0`: COHORT_RETENTION=0 keeps nothing once it is final. */
const retention = z.string().transform((text, ctx) => {
  const ms = /^\s*0\s*$/.test(text) ? 0 : parseDuration(text);
  if (ms === null || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `expected 0 or a duration like 12h or 30d, got "${text}"` });
    return z.NEVER;
  }
  return ms;
});
const port = z.coerce.number().int().min(0).max(65_535);
const origin = z.url().transform((u) => u.replace(/\/+$/, ''));
const allowHosts = z
  .string()
  .optional()
  .transform((text, ctx) => {
    const parsed = parseAllowList(text);
    if (parsed.ok) return text === undefined ? NO_ALLOWANCES : parsed.allow;
    ctx.addIssue({ code: 'custom', message: `expected comma-separated host, host:port or CIDR entries; invalid: ${parsed.invalid.map((e) => `"${e}"`).join(', ')}` });
    return z.NEVER;
  });

/** key → [environment variable, schema, secret?]. The environment names are part of the contract (spec §5). */
const SETTINGS = {
  port: ['COHORT_PORT', port.default(8080)],
  databaseUrl: ['COHORT_DATABASE_URL', z.string().min(1).default('./data/cohort.db')],
  publicUrl: ['COHORT_PUBLIC_URL', origin.optional()],
  secretKey: ['COHORT_SECRET_KEY', z.string().min(32, 'must be at least 32 characters').optional(), 'secret'],
  syncRetryWindowMs: ['COHORT_SYNC_RETRY_WINDOW', duration.default(13 * 3_600_000)],
  /** How long a worker holds claimed work before another may take it over (after a crash, the wait before resuming). */
  workerLeaseMs: ['COHORT_WORKER_LEASE', duration.default(60_000)],
  /** How long finished entries and final sync history are kept before the worker prunes them (docs/retention.md); 0 = none once final. */
  retentionMs: ['COHORT_RETENTION', retention.default(30 * 86_400_000)],
  /** Unlocks workspace- and audience-labelled series on GET /metrics for a scraper sending it as a bearer token (spec §9). */
  metricsToken: ['COHORT_METRICS_TOKEN', z.string().min(16, 'must be at least 16 characters').optional(), 'secret'],
  logLevel: ['COHORT_LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')],
  tiktokAppId: ['TIKTOK_APP_ID', z.string().min(1).optional()],
  tiktokAppSecret: ['TIKTOK_APP_SECRET', z.string().min(1).optional(), 'secret'],
  tiktokApiBase: ['TIKTOK_API_BASE', origin.default('https://business-api.tiktok.com')],
  tiktokAuthUrl: ['TIKTOK_AUTH_URL', z.url().default('https://business-api.tiktok.com/portal/auth')],
  emulatorPort: ['TIKTOK_EMULATOR_PORT', port.default(9400)],
  emulatorRedirectUri: ['TIKTOK_EMULATOR_REDIRECT_URI', z.url().optional()],
  /** Hosts and ranges webhooks may reach although spec §9 closes them (loopback, private, …): webhooks/address-policy.ts. */
  webhookAllowHosts: ['COHORT_WEBHOOK_ALLOW_HOSTS', allowHosts],
} as const satisfies Record<string, readonly [string, z.ZodType, 'secret'?]>;

type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;
export type Config = { readonly [K in SettingKey]: z.output<Settings[K][1]> };
/** Values given on the command line, already named by setting key. */
export type ConfigOverrides = Partial<Record<SettingKey, string | number | undefined>>;

export const envNameOf = (key: SettingKey): string => SETTINGS[key][0];
export const isSecretSetting = (key: SettingKey): boolean => (SETTINGS[key] as readonly unknown[])[2] === 'secret';

/** Validates every setting and reports every problem at once (throws ConfigError). */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, overrides: ConfigOverrides = {}): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const [envName, schema] = SETTINGS[key];
    const fromFlag = overrides[key] !== undefined;
    const given = fromFlag ? overrides[key] : emptyToUndefined(env[envName]);
    const parsed = (schema as z.ZodType).safeParse(given === undefined ? undefined : String(given));
    if (parsed.success) out[key] = parsed.data;
    else problems.push(`${envName}${fromFlag ? ' (given as a flag)' : ''}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  if (Boolean(out.tiktokAppId) !== Boolean(out.tiktokAppSecret)) {
    problems.push('TIKTOK_APP_ID and TIKTOK_APP_SECRET: set both (real TikTok) or neither (built-in emulator)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as Config;
}

/** The settings as text for `config print`-style output, with secrets redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  return Object.fromEntries(
    (Object.keys(SETTINGS) as SettingKey[]).map((k) => [envNameOf(k), isSecretSetting(k) && config[k] ? '[redacted]' : config[k]]),
  );
}

function emptyToUndefined(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v;
}
