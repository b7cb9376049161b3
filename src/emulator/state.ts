/**
 * Everything the emulated TikTok remembers (reference §7.2): the app, advertisers, auth codes, tokens and
 * audiences with their membership. In memory only; `reset()` forgets all but the seeds.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { DigestSet } from './digest-set.ts';
import type { IdSchema } from './mapping.ts';

export interface App {
  appId: string;
  secret: string;
  /** When set, consent refuses any other redirect_uri (spec §6: "unless one is pinned"). */
  redirectUri: string | undefined;
}

export interface Advertiser {
  advertiser_id: string;
  advertiser_name: string;
  bc_id: string;
  status: string;
  role: string;
  currency: string;
  timezone: string;
  display_timezone: string;
  country: string;
  company: string;
  create_time: number;
}

export interface Grant {
  appId: string;
  advertiserIds: string[];
  expiresAt: number;
  used: boolean;
}

export interface Token {
  appId: string;
  advertiserIds: string[];
  scope: number[];
  revoked: boolean;
}

export interface Audience {
  audienceId: string;
  advertiserId: string;
  name: string;
  createTime: number;
  deleted: boolean;
  /** Hashes per id_schema; a set per schema so that adds are idempotent. */
  members: Map<IdSchema, DigestSet>;
  /** Distinct identifiers now, summed over schemas. */
  size: number;
  /** (time, size) after each applied mapping, kept only as far back as cover_num's delay needs. */
  sizeLog: { at: number; size: number }[];
}

/** Auth codes expire 10 minutes after issue (reference §2.2: the stricter of the two reported TTLs). */
export const AUTH_CODE_TTL_MS = 10 * 60_000;
export const MAX_AUDIENCES_PER_ADVERTISER = 400;
/** Fixed scope ids: TikTok's id → name mapping is unknown (reference, open question 4). */
export const TOKEN_SCOPE = [4, 5, 6];

const BC_ID = '7000000000000000900';
const SEEDED_AT = Date.UTC(2024, 0, 1) / 1000;

export const SEED_ADVERTISERS: readonly Advertiser[] = [
  {
    advertiser_id: '7000000000000000001',
    advertiser_name: 'Acme US',
    bc_id: BC_ID,
    status: 'STATUS_ENABLE',
    role: 'ROLE_ADVERTISER',
    currency: 'USD',
    timezone: 'America/Los_Angeles',
    display_timezone: 'Etc/GMT+8',
    country: 'US',
    company: 'Acme Inc.',
    create_time: SEEDED_AT,
  },
  {
    advertiser_id: '7000000000000000002',
    advertiser_name: 'Acme EU',
    bc_id: BC_ID,
    status: 'STATUS_ENABLE',
    role: 'ROLE_ADVERTISER',
    currency: 'EUR',
    timezone: 'Europe/Berlin',
    display_timezone: 'Etc/GMT-1',
    country: 'DE',
    company: 'Acme Europe GmbH',
    create_time: SEEDED_AT,
  },
];

const hex40 = (): string => randomBytes(20).toString('hex');

export class EmulatorState {
  readonly advertisers = new Map<string, Advertiser>(SEED_ADVERTISERS.map((a) => [a.advertiser_id, a]));
  readonly grants = new Map<string, Grant>();
  readonly tokens = new Map<string, Token>();
  /** In creation order, which is the order list answers in. */
  readonly audiences = new Map<string, Audience>();
  /** Not reset, so an id from before a reset never names a different audience after it. */
  private audienceSeq = 0;

  constructor(
    readonly app: App,
    private readonly clock: Clock,
  ) {}

  issueAuthCode(appId: string, advertiserIds: string[]): string {
    const code = hex40();
    this.grants.set(code, { appId, advertiserIds, expiresAt: this.clock.now() + AUTH_CODE_TTL_MS, used: false });
    return code;
  }

  /** Single use: returns the grant and marks it used, or says why the code is refused. */
  redeemAuthCode(code: string, appId: string): Grant | string {
    const grant = this.grants.get(code);
    if (!grant || grant.appId !== appId) return 'auth_code is invalid.';
    if (grant.used) return 'auth_code has already been used.';
    if (this.clock.now() > grant.expiresAt) return 'auth_code has expired.';
    grant.used = true;
    return grant;
  }

  issueToken(appId: string, advertiserIds: string[]): string {
    const token = hex40();
    this.tokens.set(token, { appId, advertiserIds: [...advertiserIds], scope: [...TOKEN_SCOPE], revoked: false });
    return token;
  }

  /** The live (not deleted) audiences of an advertiser, in creation order. */
  liveAudiences(advertiserId: string): Audience[] {
    const out: Audience[] = [];
    for (const a of this.audiences.values()) if (!a.deleted && a.advertiserId === advertiserId) out.push(a);
    return out;
  }

  /** The audience if it exists, is not deleted and belongs to the advertiser; undefined otherwise. */
  ownedAudience(audienceId: string, advertiserId: string): Audience | undefined {
    const a = this.audiences.get(audienceId);
    return a && !a.deleted && a.advertiserId === advertiserId ? a : undefined;
  }

  createAudience(advertiserId: string, name: string): Audience {
    this.audienceSeq += 1;
    // 19 digits like TikTok's ids; numeric strings that JSON numbers could not hold exactly, as on TikTok.
    const audienceId = `71${String(this.audienceSeq).padStart(17, '0')}`;
    const audience: Audience = {
      audienceId,
      advertiserId,
      name,
      createTime: this.clock.now(),
      deleted: false,
      members: new Map(),
      size: 0,
      sizeLog: [],
    };
    this.audiences.set(audienceId, audience);
    return audience;
  }

  /** Clears everything but the app and the seeded advertisers (spec §6 `POST /_emulator/reset`). */
  reset(): void {
    this.grants.clear();
    this.tokens.clear();
    this.audiences.clear();
  }
}
