import { describe, expect, it } from 'vitest';
import { ConfigError } from './core/errors.ts';
import { describeConfig, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('uses the contract defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 8080,
      databaseUrl: './data/cohort.db',
      syncRetryWindowMs: 13 * 3_600_000,
      tiktokApiBase: 'https://business-api.tiktok.com',
      tiktokAuthUrl: 'https://business-api.tiktok.com/portal/auth',
      emulatorPort: 9400,
    });
    expect(c.tiktokAppId).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reads the environment, and flags win over it', () => {
    const env = { COHORT_PORT: '9000', COHORT_SYNC_RETRY_WINDOW: '10s', TIKTOK_API_BASE: 'http://127.0.0.1:9400/' };
    expect(loadConfig(env)).toMatchObject({ port: 9000, syncRetryWindowMs: 10_000, tiktokApiBase: 'http://127.0.0.1:9400' });
    expect(loadConfig(env, { port: '7000' }).port).toBe(7000);
  });

  it('reports every bad setting at once, naming each variable', () => {
    let error: unknown;
    try {
      loadConfig({ COHORT_PORT: 'eighty', COHORT_SYNC_RETRY_WINDOW: '13 hours', TIKTOK_APP_ID: 'only-the-id', COHORT_SECRET_KEY: 'short' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/COHORT_PORT/);
    expect(problems).toMatch(/COHORT_SYNC_RETRY_WINDOW: expected a duration/);
    expect(problems).toMatch(/COHORT_SECRET_KEY/);
    expect(problems).toMatch(/TIKTOK_APP_ID and TIKTOK_APP_SECRET/);
    expect((error as ConfigError).problems).toHaveLength(4);
  });

  it.each([
    [undefined, 30 * 86_400_000],
    ['0', 0],
    ['12h', 12 * 3_600_000],
    ['30d', 30 * 86_400_000],
    ['90m', 90 * 60_000],
  ])('COHORT_RETENTION=%s keeps finished history %i ms', (text, ms) => {
    expect(loadConfig(text === undefined ? {} : { COHORT_RETENTION: text }).retentionMs).toBe(ms);
  });

  it.each(['forever', '-1d', '30', '1 week'])('COHORT_RETENTION=%s is refused, saying what is expected', (text) => {
    expect(() => loadConfig({ COHORT_RETENTION: text })).toThrow(/COHORT_RETENTION: expected 0 or a duration like 12h or 30d/);
  });

  it('reads COHORT_WEBHOOK_ALLOW_HOSTS into an allow list; unset, webhooks get no allowances', () => {
    expect(loadConfig({}).webhookAllowHosts).toEqual({ hosts: [], cidrs: [] });
    expect(loadConfig({ COHORT_WEBHOOK_ALLOW_HOSTS: '' }).webhookAllowHosts).toEqual({ hosts: [], cidrs: [] });
    expect(loadConfig({ COHORT_WEBHOOK_ALLOW_HOSTS: 'hooks.internal, 127.0.0.1:8080,10.0.0.0/8,::1' }).webhookAllowHosts).toEqual({
      hosts: [{ host: 'hooks.internal', port: null }, { host: '127.0.0.1', port: 8080 }],
      cidrs: ['10.0.0.0/8', '::1/128'],
    });
  });

  it('refuses a COHORT_WEBHOOK_ALLOW_HOSTS with invalid entries, listing each', () => {
    let error: unknown;
    try {
      loadConfig({ COHORT_WEBHOOK_ALLOW_HOSTS: 'ok.example, 10.0.0.0/33, 2130706433, host:99999' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual(['COHORT_WEBHOOK_ALLOW_HOSTS: expected comma-separated host, host:port or CIDR entries; invalid: "10.0.0.0/33", "2130706433", "host:99999"']);
  });

  it('says when a bad value came from a flag', () => {
    expect(() => loadConfig({}, { emulatorPort: 'abc' })).toThrow(/TIKTOK_EMULATOR_PORT \(given as a flag\)/);
  });

  it('redacts secrets when describing the settings', () => {
    const c = loadConfig({ TIKTOK_APP_ID: 'app', TIKTOK_APP_SECRET: 'very-secret', COHORT_SECRET_KEY: 'k'.repeat(32) });
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toContain('very-secret');
    expect(text).not.toContain('k'.repeat(32));
    expect(describeConfig(c)).toMatchObject({ TIKTOK_APP_ID: 'app', TIKTOK_APP_SECRET: '[redacted]' });
  });
});
