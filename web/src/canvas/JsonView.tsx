/**
 * The JSON view (issue 19): the whole edited canvas as spec §3 JSON in a textarea labelled **Canvas
 * JSON**; **Apply JSON** replaces the edited canvas with it, **Export** downloads `<name>.json`,
 * **Import** reads a file and applies it. Text that is not JSON or not of the canvas's shape is refused
 * in words and nothing is applied: the outline is checked here, the whole shape by the server's own
 * parser (`POST …/problems` says why PUT would refuse the body). Viewers get the text read-only
 * and Export; Apply and Import are absent.
 */
import { useId, useRef, useState } from 'react';
import { api, ApiError, seg } from '../api/client.ts';
import type { CanvasBody } from '../api/types.ts';
import { canvasJsonText, exportFileName, parseCanvasJson } from './canvas-json.ts';
import type { ProblemsAnswer } from './useLiveProblems.ts';

export interface JsonViewProps {
  canvasId: string;
  canvas: CanvasBody;
  editable: boolean;
  onApply: (canvas: CanvasBody) => void;
}

export function JsonView({ canvasId, canvas, editable, onApply }: JsonViewProps) {
  const uid = useId();
  const current = canvasJsonText(canvas);
  // What the user typed and has not applied; null: the textarea follows the edited canvas.
  const [typed, setTyped] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  // What was applied, and the text it made: the note goes once the canvas is edited further.
  const [applied, setApplied] = useState<{ words: string; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const file = useRef<HTMLInputElement>(null);

  async function apply(text: string, from: string) {
    setApplied(null);
    const parsed = parseCanvasJson(text);
    if (!parsed.ok) {
      setProblem(`Not applied: ${parsed.message}`);
      return;
    }
    setBusy(true);
    try {
      const { shape } = await api<ProblemsAnswer>('POST', `/api/canvases/${seg(canvasId)}/problems`, parsed.canvas);
      if (shape.length > 0) {
        setProblem(`Not applied: this is not a canvas: ${shape.join('; ')}`);
        return;
      }
    } catch (error) {
      // Over a cap of spec §9 (400) is not a canvas either; any other failure is the server's, not the text's.
      setProblem(error instanceof ApiError && error.status === 400 ? `Not applied: ${error.message}` : `Not applied: the canvas could not be checked (${error instanceof Error ? error.message : String(error)}). Try again.`);
      return;
    } finally {
      setBusy(false);
    }
    setProblem(null);
    setTyped(null);
    onApply(parsed.canvas);
    setApplied({ words: `${from}: the canvas now is this JSON. Save to keep it.`, text: canvasJsonText(parsed.canvas) });
  }

  function download() {
    const url = URL.createObjectURL(new Blob([current], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = exportFileName(canvas.name);
    a.click();
    // After the click has started the download; revoking at once can cancel it in some browsers.
    setTimeout(() => URL.revokeObjectURL(url), 1_000);
  }

  async function importFile(files: FileList | null) {
    const chosen = files?.[0];
    if (!chosen) return;
    const text = await chosen.text();
    if (file.current) file.current.value = '';
    setTyped(text);
    await apply(text, `Imported ${chosen.name}`);
  }

  return (
    <section className="json-view" aria-labelledby={`${uid}-h`}>
      <h2 id={`${uid}-h`}>JSON</h2>
      <p className="note">The whole canvas as spec JSON. {editable ? 'Edit it here and apply, or import a file exported from another workspace.' : ''}</p>
      <label htmlFor={`${uid}-text`}>Canvas JSON</label>
      <textarea
        id={`${uid}-text`}
        className="json"
        rows={16}
        spellCheck={false}
        readOnly={!editable}
        value={typed ?? current}
        aria-invalid={problem !== null}
        aria-describedby={problem !== null ? `${uid}-problem` : undefined}
        onChange={(e) => {
          setTyped(e.target.value);
          setApplied(null);
        }}
      />
      {problem !== null ? (
        <p id={`${uid}-problem`} className="alert error" role="alert">
          {problem}
        </p>
      ) : null}
      {applied !== null && applied.text === current ? (
        <p className="alert ok" role="status">
          {applied.words}
        </p>
      ) : null}
      <div className="row">
        {editable ? (
          <button type="button" disabled={busy || typed === null} onClick={() => void apply(typed ?? current, 'Applied')}>
            Apply JSON
          </button>
        ) : null}
        {editable && typed !== null ? (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setTyped(null);
              setProblem(null);
            }}
          >
            Discard JSON edits
          </button>
        ) : null}
        <button type="button" className="secondary" onClick={download}>
          Export
        </button>
        {editable ? (
          <span className="file-pick">
            <label htmlFor={`${uid}-file`}>Import</label>
            <input id={`${uid}-file`} ref={file} type="file" accept="application/json,.json" disabled={busy} onChange={(e) => void importFile(e.target.files)} />
          </span>
        ) : null}
      </div>
    </section>
  );
}
