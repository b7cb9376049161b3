/**
 * The canvas as a file (web/src/canvas/canvas-json.ts): one canonical text for the five-step canvas of
 * spec §3, whatever order its keys came in, so that export → import → export is byte-identical; and
 * text that is not a canvas is refused in words.
 */
import { describe, expect, it } from 'vitest';
import type { CanvasBody } from '../../web/src/api/types.ts';
import { canvasJsonText, exportFileName, parseCanvasJson } from '../../web/src/canvas/canvas-json.ts';
import { SPEC_CANVAS } from '../fixtures/spec-canvas.ts';

const spec = SPEC_CANVAS as unknown as CanvasBody;

/** The same JSON with every object's keys reversed, as another tool might write it. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

describe('canvas JSON export and import', () => {
  it('writes spec §3 key order, 2-space indent and a trailing newline', () => {
    const text = canvasJsonText(spec);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.startsWith('{\n  "name": "VIP retarget",\n  "entry": {\n    "type": "api"\n  },\n  "audience": {')).toBe(true);
    expect(Object.keys(JSON.parse(text))).toEqual(['name', 'entry', 'audience', 'reentry', 'exit', 'first_step', 'steps']);
    const steps = (JSON.parse(text) as CanvasBody).steps;
    expect(steps.map((s) => Object.keys(s))).toEqual([
      ['id', 'type', 'config', 'next'],
      ['id', 'type', 'config', 'next'],
      ['id', 'type', 'config', 'yes', 'no'],
      ['id', 'type', 'config', 'next'],
      ['id', 'type', 'config', 'next'],
    ]);
    expect(Object.keys(steps[0]!.config)).toEqual(['partner', 'advertiser_id', 'audience_id', 'action', 'fields']);
  });

  it('export → import → export is byte-identical for the five-step canvas, from any key order', () => {
    const first = canvasJsonText(reversedKeys(spec) as CanvasBody);
    expect(first).toBe(canvasJsonText(spec));
    const imported = parseCanvasJson(first);
    expect(imported.ok).toBe(true);
    if (!imported.ok) return;
    expect(canvasJsonText(imported.canvas)).toBe(first);
    expect(JSON.parse(first)).toEqual(SPEC_CANVAS);
  });

  it("keeps the user's own order inside values (a webhook body is their data)", () => {
    const body = { z: 1, a: { y: 2, b: 3 } };
    const text = canvasJsonText({ ...spec, steps: [{ id: 'hook', type: 'webhook', next: null, config: { method: 'POST', url: 'https://x.test', body } }] });
    expect(text).toContain('"body": {\n          "z": 1,\n          "a": {\n            "y": 2,');
  });

  it('refuses what is not JSON, or not a canvas, in words', () => {
    expect(parseCanvasJson('{"name": "x",')).toMatchObject({ ok: false, message: expect.stringMatching(/^This is not valid JSON: /) });
    expect(parseCanvasJson('[1, 2]')).toEqual({ ok: false, message: 'This is not a canvas: the JSON must be an object like {"name": …, "steps": […]}.' });
    expect(parseCanvasJson('{"name": "x", "entry": {"type": "api"}, "steps": {}}')).toEqual({ ok: false, message: 'This is not a canvas: "steps" must be a list.' });
    expect(parseCanvasJson('{"name": "x", "entry": {"type": "api"}, "steps": [{"id": "a", "type": "teleport"}]}')).toMatchObject({ ok: false, message: expect.stringContaining('step a has no known "type"') });
    expect(parseCanvasJson('{"name": "x", "entry": {"type": "api"}, "steps": [{"id": "a", "type": "delay"}, {"id": "a", "type": "delay"}]}')).toMatchObject({ ok: false, message: expect.stringContaining('used twice') });
  });

  it('names the file after the canvas, without characters file systems refuse', () => {
    expect(exportFileName('VIP retarget')).toBe('VIP retarget.json');
    expect(exportFileName('a/b:c')).toBe('a b c.json');
    expect(exportFileName('  ')).toBe('canvas.json');
  });
});
