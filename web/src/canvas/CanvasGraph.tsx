/**
 * The journey as a graph (read-only in issue #17; the canvas builder, issue #19, makes it editable):
 * an Entry node, one node per step, edges for next / yes / no. Laid out top-down by level (breadth
 * first from first_step, steps nothing reaches last). Each step node is a button that takes the user
 * to the step's card, so the graph works by keyboard without xyflow's own node focus.
 */
import { Controls, Handle, MarkerType, Position, ReactFlow, useReactFlow, useStore, type Edge, type Node, type NodeProps } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo } from 'react';
import type { CanvasBody, Entry } from '../api/types.ts';
import { branchesOf, stableJson, STEP_WORDS, stepLevels } from './model.ts';

interface StepNodeData extends Record<string, unknown> {
  stepId: string;
  words: string;
  chosen: boolean;
  onOpen: (stepId: string) => void;
}
type StepNode = Node<StepNodeData, 'step'>;
type EntryNode = Node<{ words: string }, 'entry'>;

function StepNodeView({ data }: NodeProps<StepNode>) {
  return (
    <>
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <button type="button" className={`graph-node nodrag${data.chosen ? ' chosen' : ''}`} onClick={() => data.onOpen(data.stepId)}>
        <strong>{data.stepId}</strong> <span>{data.words}</span>
      </button>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </>
  );
}

function EntryNodeView({ data }: NodeProps<EntryNode>) {
  return (
    <>
      <div className="graph-node entry">
        <strong>Entry</strong> <span>{data.words}</span>
      </div>
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </>
  );
}

// Outside the component: xyflow re-creates every node when this object changes.
const nodeTypes = { step: StepNodeView, entry: EntryNodeView };

const FIT = { padding: 0.2, maxZoom: 1 } as const;

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
const X_GAP = 230;
const Y_GAP = 100;

export function entryWords(entry: Entry): string {
  if (entry.type === 'api') return 'API';
  if (entry.type === 'event') return entry.event ? `Event: ${entry.event}` : 'Event';
  return entry.at ? `Scheduled: ${new Date(entry.at).toLocaleString()}` : 'Scheduled: at launch';
}

export function CanvasGraph({ canvas, chosen, onOpen }: { canvas: CanvasBody; chosen: string | null; onOpen: (stepId: string) => void }) {
  const levels = useMemo(() => stepLevels(canvas), [canvas]);
  const { nodes, edges, shape } = useMemo(() => {
    const nodes: (StepNode | EntryNode)[] = [{ id: 'entry', type: 'entry', position: { x: -NODE_WIDTH / 2, y: 0 }, data: { words: entryWords(canvas.entry) }, width: NODE_WIDTH }];
    const byId = new Map(canvas.steps.map((s) => [s.id, s] as const));
    levels.forEach((level, row) => {
      level.forEach((id, i) => {
        const step = byId.get(id)!;
        nodes.push({
          // Prefixed: a step may well be called "entry".
          id: `step:${id}`,
          type: 'step',
          position: { x: (i - (level.length - 1) / 2) * X_GAP - NODE_WIDTH / 2, y: (row + 1) * Y_GAP },
          data: { stepId: id, words: STEP_WORDS[step.type], chosen: id === chosen, onOpen },
          width: NODE_WIDTH,
          // xyflow lets clicks through a node that is neither selectable nor draggable; this one holds a button.
          style: { pointerEvents: 'all' },
        });
      });
    });
    const edges: Edge[] = [];
    const arrow = { type: MarkerType.ArrowClosed } as const;
    if (canvas.first_step !== null && byId.has(canvas.first_step)) edges.push({ id: 'entry->first', source: 'entry', target: `step:${canvas.first_step}`, markerEnd: arrow });
    for (const step of canvas.steps) {
      for (const { branch, to } of branchesOf(step)) {
        if (to === null || !byId.has(to)) continue;
        edges.push({
          id: `${branch}:${step.id}->${to}`,
          source: `step:${step.id}`,
          target: `step:${to}`,
          markerEnd: arrow,
          ...(branch === 'next' ? {} : { label: branch, className: `edge-${branch}` }),
        });
      }
    }
    // What decides the layout (not which node is chosen): when it changes, the graph is drawn afresh and fitted.
    const shape = stableJson({ p: nodes.map((n) => [n.id, n.position, n.data.words]), e: edges.map((e) => e.id) });
    return { nodes, edges, shape };
  }, [canvas, levels, chosen, onOpen]);

  const height = Math.min(520, Math.max(200, 110 + levels.length * Y_GAP));
  return (
    <section className="graph card" aria-label="Journey graph" style={{ height }}>
      <ReactFlow
        key={shape}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={FIT}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        disableKeyboardA11y
        zoomOnScroll={false}
        zoomOnDoubleClick={false}
        preventScrolling={false}
        minZoom={0.3}
      >
        <Controls showInteractive={false} />
        <FitOnResize />
      </ReactFlow>
    </section>
  );
}
