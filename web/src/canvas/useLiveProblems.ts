/**
 * Validation as you edit (issue 19): the reasons launch would give for the canvas as edited, asked of
 * the server (`POST /api/canvases/{id}/problems`) a moment after the last change. The server is the one
 * source of truth: it runs launch's own check (core/canvas.ts launchProblems) with the workspace's
 * TikTok connection, which the browser does not know, and keeps zod out of the bundle. An answer for
 * an older edit than the latest is dropped; a failed ask keeps the last reasons rather than none.
 */
import { useEffect, useState } from 'react';
import { api, seg } from '../api/client.ts';
import type { CanvasBody } from '../api/types.ts';
import { reasonsByStep, stableJson } from './model.ts';

/** Long enough that typing a word asks once, short enough to feel live. */
export const LIVE_PROBLEMS_DELAY_MS = 600;

export interface LiveProblems {
  top: string[];
  byStep: Map<string, string[]>;
}

/** `POST /api/canvases/{id}/problems`: why PUT would refuse the body (shape), else why launch would. */
export interface ProblemsAnswer {
  shape: string[];
  reasons: string[];
}

const NONE: LiveProblems = { top: [], byStep: new Map() };

export function useLiveProblems(canvasId: string, canvas: CanvasBody, enabled: boolean): LiveProblems {
  const [problems, setProblems] = useState<LiveProblems>(NONE);
  const json = stableJson(canvas);
  useEffect(() => {
    if (!enabled) return;
    let current = true;
    const timer = setTimeout(() => {
      const body = JSON.parse(json) as CanvasBody;
      api<ProblemsAnswer>('POST', `/api/canvases/${seg(canvasId)}/problems`, body).then(
        ({ shape, reasons }) => {
          if (!current) return;
          const found = reasonsByStep(reasons, body.steps.map((s) => s.id));
          // What Save would refuse comes first: it is fixed before anything else.
          setProblems({ top: [...shape.map((p) => `Not saveable yet: ${p}`), ...found.top], byStep: found.byStep });
        },
        () => {
          // Asking failed (offline, signed out): the last answer stays; Save and Launch report for themselves.
        },
      );
    }, LIVE_PROBLEMS_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [canvasId, json, enabled]);
  return enabled ? problems : NONE;
}
