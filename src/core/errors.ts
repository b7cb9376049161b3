/**
 * Cohort's own errors: a small set of classes with a stable snake_case `code` that users see.
 * TikTok answers are not errors of this kind: they are classified (partners/tiktok/errors.ts).
 */
export class CohortError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. `config_invalid`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad input from a caller: HTTP 400, never retried. */
export class ValidationError extends CohortError {}

/** The thing asked for does not exist in this workspace: HTTP 404. */
export class NotFoundError extends CohortError {}

/** The request conflicts with the resource's state (e.g. editing an archived canvas): HTTP 409, not retried as is. */
export class ConflictError extends CohortError {}

/** Well-formed but refused, with every reason (e.g. launch validation): HTTP 422, not retried as is. */
export class UnprocessableError extends CohortError {
  constructor(code: string, message: string, readonly reasons: readonly string[]) {
    super(code, message);
  }
}

/** A partner (TikTok) did not answer or failed on its side: HTTP 502; worth retrying later. The message never carries a token. */
export class UpstreamError extends CohortError {}

/** Settings are invalid: the process exits with code 78 (EX_CONFIG) after listing every bad key. */
export class ConfigError extends CohortError {
  constructor(readonly problems: readonly string[]) {
    super('config_invalid', `invalid settings:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * A webhook's target is one Cohort never calls (spec §9: loopback, private, link-local, … however
 * written, directly or by redirect). Final: retrying reaches the same address. The message names the
 * host, never the URL's path or query (they may carry user data).
 */
export const WEBHOOK_BLOCKED = 'webhook_blocked';
export class WebhookBlockedError extends CohortError {
  constructor(readonly host: string, why: string) {
    super(WEBHOOK_BLOCKED, `webhook to ${host} refused: ${why}`);
  }
}

/**
 * One user's data cannot go through a step (a template past its caps, a value the database would
 * refuse): that user's entry fails alone with `code` as its reason (engine/executor.ts), the batch goes on.
 */
export class EntryDataError extends CohortError {}
