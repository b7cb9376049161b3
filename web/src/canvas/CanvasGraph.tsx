/**
 * The journey as a graph: an Entry node, one node per step, edges for next / yes / no, laid out left
 * to right in columns and lanes (model.ts graphLayout: each step right of every step leading to it, a
 * chain on one line, a split's no branch below).
 * On an editable canvas, dragging from a step's handle (a split has two, yes and no) or from Entry to
 * another step sets that link, a selected link is removed with Delete/Backspace or **Remove link**, and
 * nodes can be moved; **Tidy layout** lays them out again. Where nodes were moved to is view state
 * of this page, never part of the canvas JSON. Each step node is a button that takes the user to the
 * step's card, where the same edits are made without a mouse.
 *
 * The layout is graphLayout's longest-path ranking, not a layered-layout library's (dagre): journeys are
 * a handful of steps, mostly a chain with a split or two, where ranked columns in the order a walk finds
 * them read well; dagre's crossing reduction would add weight to the bundle for little to see.
 */
import {
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
  type Connection,
  type Edge,
  type EdgeChange,
  type Node,
  type NodeChange,
  type NodeProps,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { CanvasBody, Entry } from '../api/types.ts';
import { branchesOf, graphLayout, stableJson, STEP_WORDS, type Branch } from './model.ts';

interface StepNodeData extends Record<string, unknown> {
  stepId: string;
  words: string;
  chosen: boolean;
  split: boolean;
  connectable: boolean;
  onOpen: (stepId: string) => void;
}
type StepNode = Node<StepNodeData, 'step'>;
type EntryNode = Node<{ words: string; connectable: boolean }, 'entry'>;

/** A link as the graph's edge carries it: from the entry (first_step) or a step's branch. */
export type Link = { from: 'entry' } | { from: 'step'; stepId: string; branch: Branch };
type LinkEdge = Edge<{ link: Link; words: string }>;

function StepNodeView({ data }: NodeProps<StepNode>) {
  return (
    <>
      <Handle type="target" position={Position.Left} isConnectable={data.connectable} />
      <button type="button" className={`graph-node${data.chosen ? ' chosen' : ''}`} onClick={() => data.onOpen(data.stepId)}>
        <strong>{data.stepId}</strong> <span>{data.words}</span>
      </button>
      {data.split ? (
        <>
          {/* Their words ("yes", "no") are CSS content: the edges' labels are the graph's text. */}
          <Handle id="yes" type="source" position={Position.Right} className="handle-yes" style={{ top: '30%' }} isConnectable={data.connectable} />
          <Handle id="no" type="source" position={Position.Right} className="handle-no" style={{ top: '70%' }} isConnectable={data.connectable} />
        </>
      ) : (
        <Handle type="source" position={Position.Right} isConnectable={data.connectable} />
      )}
    </>
  );
}

function EntryNodeView({ data }: NodeProps<EntryNode>) {
  return (
    <>
      <div className="graph-node entry">
        <strong>Entry</strong> <span>{data.words}</span>
      </div>
      <Handle type="source" position={Position.Right} isConnectable={data.connectable} />
    </>
  );
}

// Outside the component: xyflow re-creates every node when this object changes.
const nodeTypes = { step: StepNodeView, entry: EntryNodeView };

// Not below half size: on a phone a long journey is panned through rather than shrunk past reading.
const FIT = { padding: 0.2, maxZoom: 1, minZoom: 0.5 } as const;

/** fitView fits once; a phone turned sideways or a narrower window needs the journey fitted again. */
function FitOnResize() {
  const width = useStore((s) => s.width);
  const { fitView } = useReactFlow();
  useEffect(() => {
    if (width > 0) void fitView(FIT);
  }, [width, fitView]);
  return null;
}

const NODE_WIDTH = 190;
const X_GAP = 260;
const Y_GAP = 90;
const DELETE_KEYS = ['Delete', 'Backspace'];

export function entryWords(entry: Entry): string {
  if (entry.type === 'api') return 'API';
  if (entry.type === 'event') return entry.event ? `Event: ${entry.event}` : 'Event';
  return entry.at ? `Scheduled: ${new Date(entry.at).toLocaleString()}` : 'Scheduled: at launch';
}

const stepOf = (nodeId: string): string | null => (nodeId.startsWith('step:') ? nodeId.slice('step:'.length) : null);

export interface CanvasGraphProps {
  canvas: CanvasBody;
  chosen: string | null;
  editable: boolean;
  onOpen: (stepId: string) => void;
  /** A link drawn (`to` a step) or removed (`to` null). */
  onLink: (link: Link, to: string | null) => void;
}

export function CanvasGraph({ canvas, chosen, editable, onOpen, onLink }: CanvasGraphProps) {
  const layout = useMemo(() => graphLayout(canvas), [canvas]);
  // Where the user dragged nodes to, by node id; Tidy layout forgets it (and draws afresh: `tidied`).
  const [moved, setMoved] = useState<ReadonlyMap<string, { x: number; y: number }>>(new Map());
  const [tidied, setTidied] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);

  const { nodes, edges, shape } = useMemo(() => {
    const at = (id: string, x: number, y: number) => moved.get(id) ?? { x, y };
    const nodes: (StepNode | EntryNode)[] = [
      { id: 'entry', type: 'entry', position: at('entry', 0, 0), data: { words: entryWords(canvas.entry), connectable: editable }, width: NODE_WIDTH, selectable: false, deletable: false },
    ];
    const byId = new Map(canvas.steps.map((s) => [s.id, s] as const));
    layout.columns.forEach((level, column) => {
      level.forEach((id) => {
        const step = byId.get(id)!;
        // Prefixed: a step may well be called "entry".
        const nodeId = `step:${id}`;
        nodes.push({
          id: nodeId,
          type: 'step',
          position: at(nodeId, (column + 1) * X_GAP, (layout.lanes.get(id) ?? 0) * Y_GAP),
          data: { stepId: id, words: STEP_WORDS[step.type], chosen: id === chosen, split: step.type === 'decision_split', connectable: editable, onOpen },
          width: NODE_WIDTH,
          selectable: false,
          deletable: false,
          // xyflow lets clicks through a node that is neither selectable nor draggable; this one holds a button.
          style: { pointerEvents: 'all' },
        });
      });
    });
    const edges: LinkEdge[] = [];
    const arrow = { type: MarkerType.ArrowClosed } as const;
    if (canvas.first_step !== null && byId.has(canvas.first_step)) {
      edges.push({ id: 'entry->first', source: 'entry', target: `step:${canvas.first_step}`, markerEnd: arrow, data: { link: { from: 'entry' }, words: `Entry to step ${canvas.first_step}` } });
    }
    for (const step of canvas.steps) {
      for (const { branch, to } of branchesOf(step)) {
        if (to === null || !byId.has(to)) continue;
        edges.push({
          id: `${branch}:${step.id}->${to}`,
          source: `step:${step.id}`,
          target: `step:${to}`,
          markerEnd: arrow,
          data: { link: { from: 'step', stepId: step.id, branch }, words: `step ${step.id}${branch === 'next' ? '' : ` (${branch})`} to step ${to}` },
          ...(branch === 'next' ? {} : { label: branch, className: `edge-${branch}`, sourceHandle: branch }),
        });
      }
    }
    // What is drawn afresh and fitted: the steps and links, not where a node was dragged to.
    const shape = stableJson({ n: nodes.map((n) => [n.id, n.data.words]), e: edges.map((e) => e.id), t: tidied });
    return { nodes, edges, shape };
  }, [canvas, layout, chosen, onOpen, editable, moved, tidied]);

  const shown = useMemo(() => edges.map((e) => (e.id === selected ? { ...e, selected: true } : e)), [edges, selected]);
  const selectedEdge = edges.find((e) => e.id === selected);

  const onNodesChange = useCallback((changes: NodeChange[]) => {
    const moves = changes.flatMap((c) => (c.type === 'position' && c.position ? [[c.id, c.position] as const] : []));
    if (moves.length > 0) setMoved((m) => new Map([...m, ...moves]));
  }, []);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) if (c.type === 'select') setSelected((s) => (c.selected ? c.id : s === c.id ? null : s));
  }, []);
  const remove = useCallback(
    (removed: LinkEdge[]) => {
      for (const e of removed) if (e.data) onLink(e.data.link, null);
      setSelected(null);
    },
    [onLink],
  );
  const onConnect = useCallback(
    (c: Connection) => {
      const to = stepOf(c.target);
      const from = stepOf(c.source);
      if (to === null) return;
      if (c.source === 'entry') onLink({ from: 'entry' }, to);
      else if (from !== null) onLink({ from: 'step', stepId: from, branch: c.sourceHandle === 'yes' || c.sourceHandle === 'no' ? c.sourceHandle : 'next' }, to);
    },
    [onLink],
  );

  const widest = 1 + Math.max(0, ...layout.lanes.values());
  const height = Math.min(520, Math.max(220, 120 + widest * Y_GAP));
  return (
    <section className="graph-wrap" aria-label="Journey graph">
      {editable ? (
        <div className="graph-tools row">
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setMoved(new Map());
              setTidied((t) => t + 1);
            }}
          >
            Tidy layout
          </button>
          {selectedEdge?.data ? (
            <>
              <span className="note">Selected link: {selectedEdge.data.words}.</span>
              <button type="button" className="secondary" onClick={() => remove([selectedEdge])}>
                Remove link
              </button>
            </>
          ) : (
            <small className="note">Drag from a step’s right edge to another step to link them; click a link to select it.</small>
          )}
        </div>
      ) : null}
      <div className="graph card" style={{ height }}>
        <ReactFlow
          key={shape}
          nodes={nodes}
          edges={shown}
          nodeTypes={nodeTypes}
          fitView
          fitViewOptions={FIT}
          nodesDraggable={editable}
          nodesConnectable={editable}
          nodesFocusable={false}
          edgesFocusable={false}
          elementsSelectable={editable}
          onNodesChange={onNodesChange}
          onEdgesChange={onEdgesChange}
          onEdgesDelete={remove}
          onConnect={onConnect}
          isValidConnection={(c) => c.source !== c.target && stepOf(c.target) !== null}
          deleteKeyCode={editable ? DELETE_KEYS : null}
          disableKeyboardA11y
          zoomOnScroll={false}
          zoomOnDoubleClick={false}
          preventScrolling={false}
          minZoom={0.3}
        >
          <Controls showInteractive={false} />
          <FitOnResize />
        </ReactFlow>
      </div>
    </section>
  );
}
