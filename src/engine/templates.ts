/**
 * Webhook templates: `{{external_id}}`, `{{attribute}}` (standard or custom) and `{{context.key}}`
 * (the trigger's context). Unknown names render as an empty string. Pure.
 */
import type { AttributeReader } from '../core/filter.ts';

const TAG = /\{\{\s*([\w.-]+)\s*\}\}/g;

export function renderTemplate(text: string, read: AttributeReader, context: Record<string, unknown> | null): string {
  return text.replace(TAG, (_m, name: string) => {
    const value = name.startsWith('context.') ? lookup(context, name.slice('context.'.length)) : read(name);
    if (value === undefined || value === null) return '';
    return typeof value === 'object' ? JSON.stringify(value) : String(value);
  });
}

/** Renders every string inside a JSON value (keys included). */
export function renderJson(value: unknown, read: AttributeReader, context: Record<string, unknown> | null): unknown {
  if (typeof value === 'string') return renderTemplate(value, read, context);
  if (Array.isArray(value)) return value.map((v) => renderJson(v, read, context));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [renderTemplate(k, read, context), renderJson(v, read, context)]));
  }
  return value;
}

function lookup(obj: Record<string, unknown> | null, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}
