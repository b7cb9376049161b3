/**
 * Bulk profile import (`cohort import`, spec §5): CSV or JSON Lines, streamed row by row (a file of
 * a million rows is never held in memory) and written in batches, one transaction each, through the
 * same path as `/users/track` (ingest/track.ts). A bad row is counted and reported, never fatal.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import type { Clock } from '../core/clock.ts';
import { CohortError, NotFoundError } from '../core/errors.ts';
import { STANDARD_ATTRIBUTES, type ProfilePatch, type Store } from '../store/port.ts';
import { parseAttributesObject } from './objects.ts';
import { writeTrack, type TrackHooks } from './track.ts';

export type FileFormat = 'csv' | 'jsonl';

/** One row of the file: an attributes object, or why it could not be read. `line` is 1-based. */
export type Row = { line: number; value: unknown } | { line: number; error: string };

export function formatOf(path: string): FileFormat | null {
  const lower = path.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return null;
}

export function readRows(input: Readable, format: FileFormat): AsyncGenerator<Row> {
  return format === 'csv' ? readCsv(input) : readJsonLines(input);
}

/** One JSON object per line, shaped like a `/users/track` attributes object. Blank lines are skipped. */
async function* readJsonLines(input: Readable): AsyncGenerator<Row> {
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    if (text.trim() === '') continue;
    try {
      yield { line, value: JSON.parse(text) as unknown };
    } catch {
      yield { line, error: 'not valid JSON' }; // JSON.parse's own message quotes the line: keep data out of the output
    }
  }
}

/**
 * A header row names the columns; `external_id` is required. An empty cell leaves the attribute
 * as it is. Standard attributes stay text (`ads_tracking_enabled` reads true/false/1/0); a custom
 * cell of `true`/`false` or a plain decimal number becomes a boolean or a number, anything else text.
 */
async function* readCsv(input: Readable): AsyncGenerator<Row> {
  const skipped: Row[] = [];
  const parser = input.pipe(
    parse({ bom: true, info: true, relax_column_count: true, skip_empty_lines: true, skip_records_with_error: true, record_delimiter: ['\r\n', '\n'] }),
  );
  // csv-parse's messages quote the offending text; report its code and line only.
  parser.on('skip', (err: CsvError & { lines?: number }) => skipped.push({ line: err.lines ?? 0, error: `malformed CSV (${err.code})` }));
  let header: string[] | null = null;
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
    yield* skipped.splice(0);
    if (header === null) {
      header = readHeader(record);
      continue;
    }
    if (record.length !== header.length) {
      yield { line: info.lines, error: `expected ${header.length} cells, found ${record.length}` };
      continue;
    }
    const value: Record<string, unknown> = {};
    for (let i = 0; i < header.length; i++) {
      const cell = record[i]!;
      if (cell !== '') value[header[i]!] = cellValue(header[i]!, cell);
    }
    yield { line: info.lines, value };
  }
  yield* skipped.splice(0);
  if (header === null) throw new CohortError('import_empty', 'the CSV file has no header row');
}

function readHeader(record: readonly string[]): string[] {
  const names = record.map((n) => n.trim());
  if (!names.includes('external_id')) throw new CohortError('import_no_external_id', 'the CSV header has no external_id column');
  if (names.some((n) => n === '')) throw new CohortError('import_bad_header', 'the CSV header has an empty column name');
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined) throw new CohortError('import_bad_header', `the CSV header names the column "${duplicate}" twice`);
  return names;
}

const STANDARD = new Set<string>(STANDARD_ATTRIBUTES);
/** At most 15 significant digits, no leading zeros: survives a round trip through a double (zip codes stay text). */
const PLAIN_NUMBER = /^-?(?:0|[1-9]\d{0,14})(?:\.\d{1,15})?$/;

function cellValue(column: string, cell: string): unknown {
  if (column === 'ads_tracking_enabled') {
    const v = cell.toLowerCase();
    return v === 'true' || v === '1' ? true : v === 'false' || v === '0' ? false : cell; // anything else fails validation
  }
  if (column === 'external_id' || STANDARD.has(column)) return cell;
  if (cell === 'true') return true;
  if (cell === 'false') return false;
  return PLAIN_NUMBER.test(cell) ? Number(cell) : cell;
}

/** Counters an importer updates as it goes, for a progress display to read. */
export interface ImportCounters {
  rows: number;
  imported: number;
  errors: number;
}

export interface ImportOptions {
  store: Store;
  hooks: TrackHooks;
  clock: Clock;
  workspaceId: string;
  /** Rows per transaction. */
  batchSize: number;
  rows: AsyncIterable<Row>;
  onRowError?(line: number, message: string): void;
  counters?: ImportCounters;
}

/** Streams the rows into the workspace, one transaction per batch; returns the final counters. */
export async function importProfiles(o: ImportOptions): Promise<ImportCounters> {
  if (!(await o.store.getWorkspace(o.workspaceId))) throw new NotFoundError('workspace_not_found', `there is no workspace ${o.workspaceId}`);
  const counters = o.counters ?? { rows: 0, imported: 0, errors: 0 };
  let batch: ProfilePatch[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const patches = batch;
    batch = [];
    const now = o.clock.now();
    await o.store.transaction((tx) => writeTrack(tx, o.hooks, o.workspaceId, { patches, events: [] }, now));
    counters.imported += patches.length;
  };
  for await (const row of o.rows) {
    counters.rows += 1;
    const parsed = 'error' in row ? { ok: false as const, message: row.error } : parseAttributesObject(row.value);
    if (!parsed.ok) {
      counters.errors += 1;
      o.onRowError?.(row.line, parsed.message);
      continue;
    }
    batch.push(parsed.value);
    if (batch.length >= o.batchSize) await flush();
  }
  await flush();
  return counters;
}
