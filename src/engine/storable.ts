/**
 * What the executor writes from user-controlled input, checked before the transaction: a value the
 * database would refuse (a NUL: PostgreSQL refuses it in text and jsonb) or silently change (a lone
 * surrogate, a number that is not finite), or that is too deep or too large, fails the one entry
 * that carries it (`invalid_value`) instead of the whole batch's commit.
 */
import { EntryDataError } from '../core/errors.ts';
import { jsonProblem, storableString } from '../core/json-limits.ts';
import type { Json } from '../store/port.ts';
import type { WebhookRequest } from '../store/webhook-port.ts';

const invalid = (what: string, problem: string): EntryDataError => new EntryDataError('invalid_value', `${what} cannot be stored (${problem})`);

/** A user_update's attributes (its keys included). The message names the problem, never the value. */
export function assertStorableAttributes(set: Record<string, Json>): void {
  const problem = jsonProblem(set);
  if (problem) throw invalid('a user_update value', problem);
}

/** A rendered webhook request: its URL, method and headers are stored as text (its body is JSON text, escaped). */
export function assertStorableRequest(r: WebhookRequest): void {
  if (!storableString(r.url) || !storableString(r.method)) throw invalid('a webhook URL', 'bad_string');
  for (const [k, v] of Object.entries(r.headers)) if (!storableString(k) || !storableString(v)) throw invalid('a webhook header', 'bad_string');
}
