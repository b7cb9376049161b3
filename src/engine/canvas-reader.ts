import type { CanvasDefinition, CanvasStatus } from '../core/canvas.ts';
import type { Queries } from '../store/port.ts';

/** A canvas as the runtime needs it: the version users enter now, and its status. */
export interface CanvasSnapshot {
  id: string;
  workspaceId: string;
  status: CanvasStatus;
  version: number;
  definition: CanvasDefinition;
}

/** What the runtime reads about canvases (implemented over the store's canvas queries). */
export interface CanvasReader {
  getCanvasSnapshot(workspaceId: string, canvasId: string): Promise<CanvasSnapshot | null>;
  /** Set-based: the definitions of these versions, keyed `${canvasId}@${version}`. */
  getDefinitions(workspaceId: string, refs: readonly { canvasId: string; version: number }[]): Promise<Map<string, CanvasDefinition>>;
  listActiveCanvases(workspaceId: string): Promise<CanvasSnapshot[]>;
}

export const versionKey = (canvasId: string, version: number): string => `${canvasId}@${version}`;

/** The runtime's canvas reads, over the store's canvas queries. */
export function storeCanvasReader(store: Pick<Queries, 'getCanvas' | 'getCanvasVersions' | 'listCanvases'>): CanvasReader {
  return {
    getCanvasSnapshot: (workspaceId, canvasId) => store.getCanvas(workspaceId, canvasId),
    async getDefinitions(workspaceId, refs) {
      const versions = await store.getCanvasVersions(workspaceId, refs);
      return new Map(versions.map((v) => [versionKey(v.canvasId, v.version), v.definition]));
    },
    listActiveCanvases: (workspaceId) => store.listCanvases(workspaceId, { status: 'active' }),
  };
}
