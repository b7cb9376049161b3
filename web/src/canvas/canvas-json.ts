/**
 * The canvas as a file (spec §3): one canonical text, so that export → import → export is byte for
 * byte the same and a diff of two exports shows only what changed. Keys go in spec §3's order (the
 * example's; for a step `id, type, config`, then where it leads, as most of its steps write it),
 * keys this code does not know follow in the order they came, 2-space indent, a trailing newline.
 * What a user wrote inside a value (a webhook body, a user_update value, a condition's value) keeps
 * its own order: it is their data. Pure, no React.
 */
import type { CanvasBody } from '../api/types.ts';
import { bodyOf } from './model.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Order = readonly string[];

const CANVAS_KEYS: Order = ['name', 'entry', 'audience', 'reentry', 'exit', 'first_step', 'steps'];
const ENTRY_KEYS: Order = ['type', 'event', 'at'];
const REENTRY_KEYS: Order = ['allowed', 'after_seconds'];
const STEP_KEYS: Order = ['id', 'type', 'config', 'next', 'yes', 'no'];
const CONFIG_KEYS: Order = ['partner', 'advertiser_id', 'audience_id', 'action', 'fields', 'seconds', 'filter', 'url', 'method', 'headers', 'body', 'timeout_ms', 'set'];
const FILTER_KEYS: Order = ['all', 'any', 'attribute', 'op', 'value'];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The object's keys in `order` first, then the others as they came; `inner` says how each value is written. */
function ordered(value: Record<string, unknown>, order: Order, inner: (key: string, v: unknown) => unknown = (_k, v) => v): Record<string, unknown> {
  const keys = [...order.filter((k) => k in value), ...Object.keys(value).filter((k) => !order.includes(k))];
  return Object.fromEntries(keys.map((k) => [k, inner(k, value[k])]));
}

function filter(value: unknown): unknown {
  if (!isObject(value)) return value;
  return ordered(value, FILTER_KEYS, (k, v) => ((k === 'all' || k === 'any') && Array.isArray(v) ? v.map(filter) : v));
}

function step(value: unknown): unknown {
  if (!isObject(value)) return value;
  return ordered(value, STEP_KEYS, (k, v) => (k === 'config' && isObject(v) ? ordered(v, CONFIG_KEYS, (ck, cv) => (ck === 'filter' ? filter(cv) : cv)) : v));
}

/** The canvas with its keys in the canonical order (values unchanged). */
export function canonicalCanvas(canvas: CanvasBody): Record<string, unknown> {
  return ordered(bodyOf(canvas) as unknown as Record<string, unknown>, CANVAS_KEYS, (k, v) => {
    if (k === 'entry' && isObject(v)) return ordered(v, ENTRY_KEYS);
    if (k === 'reentry' && isObject(v)) return ordered(v, REENTRY_KEYS);
    if (k === 'audience') return filter(v);
    if (k === 'steps' && Array.isArray(v)) return v.map(step);
    return v;
  });
}

/** The file's text: canonical order, 2-space indent, a trailing newline. */
export const canvasJsonText = (canvas: CanvasBody): string => `${JSON.stringify(canonicalCanvas(canvas), null, 2)}\n`;

/** A file name for the canvas: its name, without what file systems refuse. */
export function exportFileName(name: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is removed
  const safe = name.replace(/[\u0000-\u001f\u007f/\\:*?"<>|]+/g, ' ').trim();
  return `${safe || 'canvas'}.json`;
}

export type ParsedCanvasJson = { ok: true; canvas: CanvasBody } | { ok: false; message: string };

const ENTRY_TYPES = ['api', 'event', 'scheduled'];
const STEP_TYPES = ['audience_sync', 'delay', 'decision_split', 'webhook', 'user_update'];

/**
 * The text as a canvas body, or why not in words. This is the first gate only (the JSON and the
 * outline: a name, an entry, a list of steps with ids and known types); the server checks the whole
 * shape on Save and, as you edit, through the problems check.
 */
export function parseCanvasJson(text: string): ParsedCanvasJson {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (error) {
    return { ok: false, message: `This is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const problem = outlineProblem(value);
  if (problem) return { ok: false, message: `This is not a canvas: ${problem}.` };
  return { ok: true, canvas: value as unknown as CanvasBody };
}

function outlineProblem(value: Json): string | null {
  if (!isObject(value)) return 'the JSON must be an object like {"name": …, "steps": […]}';
  if (typeof value.name !== 'string' || value.name.trim() === '') return '"name" must be a non-empty text';
  if (!isObject(value.entry) || !ENTRY_TYPES.includes(String(value.entry.type))) return `"entry" must be an object whose "type" is one of ${ENTRY_TYPES.join(', ')}`;
  if (value.audience !== null && value.audience !== undefined && !isObject(value.audience)) return '"audience" must be a filter object or null';
  if (value.first_step !== null && value.first_step !== undefined && typeof value.first_step !== 'string') return '"first_step" must be a step id or null';
  if (!Array.isArray(value.steps)) return '"steps" must be a list';
  const seen = new Set<string>();
  for (const [i, s] of value.steps.entries()) {
    if (!isObject(s) || typeof s.id !== 'string' || s.id === '') return `steps[${i}] needs an "id"`;
    if (!STEP_TYPES.includes(String(s.type))) return `step ${s.id} has no known "type" (one of ${STEP_TYPES.join(', ')})`;
    if (seen.has(s.id)) return `the step id ${s.id} is used twice`;
    seen.add(s.id);
    if (s.config !== undefined && !isObject(s.config)) return `step ${s.id}: "config" must be an object`;
  }
  return null;
}
