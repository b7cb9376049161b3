import { ApiError } from '../api/client.ts';

/** An error in words, as an alert (screen readers announce it). The API's message is shown as text. */
export function ErrorAlert({ error, prefix }: { error: unknown; prefix?: string }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : null;
  return (
    <p className="alert error" role="alert">
      {prefix ? `${prefix}: ` : ''}
      {message}
      {code && code !== 'http_error' ? <span className="code"> ({code})</span> : null}
    </p>
  );
}
