/**
 * A canvas (spec §8 "canvas"): its settings, the journey as a graph, one card per step, Add step, and
 * the lifecycle (Save, Launch, Stop, Archive). The edited canvas lives in this page's state until
 * Save (Launch saves first), with Undo and Redo of its edits; leaving with unsaved changes asks first
 * (the browser's beforeunload, and LeaveGuard for links inside the dashboard). Editors and admins edit
 * any canvas but an archived one: saving an active or stopped canvas makes a new version (users inside
 * keep theirs; canvas/VersionsPanel.tsx lists them). Viewers see everything read-only and none of the
 * buttons. What launch would refuse is checked as you edit (canvas/useLiveProblems.ts).
 * A launch refusal's reasons are shown inside the card of the step they name, the others at the top.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, seg } from '../api/client.ts';
import type { Canvas, CanvasBody, Filter, Step, StepType } from '../api/types.ts';
import type { Link as GraphLink } from '../canvas/CanvasGraph.tsx';
import { AddStepMenu } from '../canvas/AddStepMenu.tsx';
import { CanvasActions } from '../canvas/CanvasActions.tsx';
import { CanvasGraph } from '../canvas/CanvasGraph.tsx';
import { EntrySettings } from '../canvas/EntrySettings.tsx';
import { JsonView } from '../canvas/JsonView.tsx';
import { LeaveGuard } from '../canvas/LeaveGuard.tsx';
import { addStep, bodyOf, connect, deleteStep, deleteStepWords, makeFirst, reasonsByStep, stableJson, STATUS_WORDS, stepOrder, type Branch } from '../canvas/model.ts';
import { StepCard } from '../canvas/StepCard.tsx';
import { StepProblemsContext, withProblem } from '../canvas/step-problems.ts';
import { useCanvasHistory } from '../canvas/useCanvasHistory.ts';
import { useLiveProblems } from '../canvas/useLiveProblems.ts';
import { VersionsPanel } from '../canvas/VersionsPanel.tsx';
import '../canvas/canvas.css';
import { ErrorAlert } from '../components/ErrorAlert.tsx';
import { usePageTitle } from '../components/usePageTitle.ts';
import { can, useSignedIn } from '../session.tsx';

export const canvasKey = (id: string) => ['canvases', 'one', id] as const;

export function CanvasPage() {
  const { id = '' } = useParams();
  // The page keeps its own copy once loaded: a refetch must not overwrite what is being edited.
  const query = useQuery({ queryKey: canvasKey(id), queryFn: () => api<Canvas>('GET', `/api/canvases/${seg(id)}`), staleTime: Infinity });
  usePageTitle(query.data?.name ?? 'Canvas');
  if (query.isPending) return <p className="loading">Loading…</p>;
  if (query.isError)
    return (
      <>
        <h1>Canvas</h1>
        <ErrorAlert error={query.error} prefix="This canvas could not be opened" />
        <p>
          <Link to="/canvases">All canvases</Link>
        </p>
      </>
    );
  return <CanvasEditor key={id} initial={query.data} />;
}

type Kind = 'save' | 'launch' | 'stop' | 'archive';
type LaunchAnswer = Canvas & { warnings?: { step_id: string; code: string; message: string }[] };

/** A problem found before asking the server (the canvas is not sent). */
class NotSaved extends Error {}

const NOTICE: Record<Kind, string> = {
  save: 'Saved.',
  launch: 'Launched: the canvas is active and users enter as its entry says.',
  stop: 'Stopped: no new users enter; users already inside continue.',
  archive: 'Archived: the canvas is read-only; its analytics stay.',
};

function CanvasEditor({ initial }: { initial: Canvas }) {
  const session = useSignedIn();
  const client = useQueryClient();
  const editor = can(session, 'editor');
  const [saved, setSaved] = useState(initial);
  const [audience, setAudience] = useState<{ problem: string | null }>({ problem: null });
  const editable = editor && saved.status !== 'archived';
  // An undo or redo brings back a canvas whose audience was valid: the builder shows it, without a problem.
  const restore = useCallback(() => setAudience({ problem: null }), []);
  const history = useCanvasHistory(() => bodyOf(initial), editable, restore);
  const { edited, edit: setEdited } = history;
  const [splitBranch, setSplitBranch] = useState<'yes' | 'no'>('yes');
  const [chosen, setChosen] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<ReturnType<typeof reasonsByStep> | null>(null);
  const [warnings, setWarnings] = useState<ReadonlyMap<string, string[]>>(new Map());
  const [notice, setNotice] = useState<Kind | null>(null);
  // What step editors say blocks Save (step-problems.ts): one problem per step id.
  const [stepProblems, setStepProblems] = useState<ReadonlyMap<string, string>>(new Map());
  const reportStepProblem = useCallback((stepId: string, problem: string | null) => setStepProblems((p) => withProblem(p, stepId, problem)), []);
  const cards = useRef(new Map<string, HTMLElement>());
  const focusNext = useRef<string | null>(null);

  const [savedAs, setSavedAs] = useState<string | null>(null);
  const live = useLiveProblems(saved.id, edited, editable);
  const savedJson = useMemo(() => stableJson(bodyOf(saved)), [saved]);
  const dirty = editable && (audience.problem !== null || stepProblems.size > 0 || stableJson(bodyOf(edited)) !== savedJson);

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  // A step just added: its card takes focus, where it is configured.
  useEffect(() => {
    const id = focusNext.current;
    if (id === null) return;
    focusNext.current = null;
    const card = cards.current.get(id);
    card?.scrollIntoView({ block: 'nearest' });
    card?.focus({ preventScroll: true });
  }, [edited]);

  /** The server's answer becomes the saved canvas; what was typed meanwhile is kept. */
  const accept = (canvas: Canvas, sent?: CanvasBody) => {
    setSaved(canvas);
    client.setQueryData(canvasKey(canvas.id), canvas);
    void client.invalidateQueries({ queryKey: ['canvases', 'list'] });
    history.replace((current) => (sent === undefined || current === sent ? bodyOf(canvas) : current));
  };

  const action = useMutation({
    mutationFn: async (kind: Kind): Promise<LaunchAnswer> => {
      const path = `/api/canvases/${seg(saved.id)}`;
      if (kind === 'save' || (kind === 'launch' && dirty)) {
        if (edited.name.trim() === '') throw new NotSaved('Not saved: the canvas needs a name.');
        if (audience.problem !== null) throw new NotSaved(`Not saved: ${audience.problem}`);
        const [stepId, problem] = [...stepProblems][0] ?? [];
        if (stepId !== undefined) throw new NotSaved(`Not saved: step ${stepId}: ${problem}`);
        const sent = edited;
        const answer = await api<Canvas>('PUT', path, bodyOf(sent));
        setSavedAs(answer.version > saved.version ? savedAsWords(answer.version) : null);
        accept(answer, sent);
        if (kind === 'save') return answer;
      }
      const answer = await api<LaunchAnswer>('POST', `${path}/${kind}`);
      accept(answer);
      return answer;
    },
    onMutate: (kind) => {
      setNotice(null);
      if (kind === 'launch') {
        setRefusal(null);
        setWarnings(new Map());
      }
    },
    onSuccess: (answer, kind) => {
      setNotice(kind);
      const byStep = new Map<string, string[]>();
      for (const w of answer.warnings ?? []) byStep.set(w.step_id, [...(byStep.get(w.step_id) ?? []), w.message]);
      setWarnings(byStep);
    },
    onError: (error) => {
      if (error instanceof ApiError && error.code === 'launch_refused' && Array.isArray(error.details.reasons)) {
        setRefusal(reasonsByStep(error.details.reasons.map(String), edited.steps.map((s) => s.id)));
      }
    },
  });
  const refused = action.error instanceof ApiError && action.error.code === 'launch_refused';
  // A "Not saved" refusal goes once nothing blocks Save any more (the body fixed, say), not at the next Save.
  const blocked = edited.name.trim() === '' || audience.problem !== null || stepProblems.size > 0;
  const stale = action.error instanceof NotSaved && !blocked;

  const onAudience = (filter: Filter | null, problem: string | null) => {
    setAudience({ problem });
    if (problem === null) setEdited((c) => ({ ...c, audience: filter }));
  };
  const onAdd = (type: StepType) => {
    const { canvas, id } = addStep(edited, type, chosen, splitBranch);
    focusNext.current = id;
    setChosen(id);
    setEdited(canvas);
  };
  const setStep = (step: Step) => setEdited((c) => ({ ...c, steps: c.steps.map((s) => (s.id === step.id ? step : s)) }));
  const setLink = (from: string, branch: Branch, to: string | null) => setEdited((c) => connect(c, from, branch, to));
  const onGraphLink = useCallback(
    (link: GraphLink, to: string | null) => setEdited((c) => (link.from === 'entry' ? makeFirst(c, to) : connect(c, link.stepId, link.branch, to))),
    [setEdited],
  );
  const onDelete = (id: string) => {
    const gone = edited.steps.find((s) => s.id === id);
    const after = deleteStep(edited, id);
    // Focus goes to where the deleted step led, else to the first card left: never lost on <body>.
    const next = gone && gone.type !== 'decision_split' ? gone.next : null;
    focusNext.current = next ?? stepOrder(after)[0] ?? null;
    if (chosen === id) setChosen(null);
    setEdited(after);
  };
  const openStep = useCallback((id: string) => {
    setChosen(id);
    const card = cards.current.get(id);
    card?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    card?.focus({ preventScroll: true });
  }, []);

  const order = useMemo(() => stepOrder(edited), [edited]);
  const byId = useMemo(() => new Map(edited.steps.map((s) => [s.id, s] as const)), [edited.steps]);
  const types = useMemo(() => new Map(order.map((id) => [id, byId.get(id)!.type] as const)), [order, byId]);
  const addAfter = chosen !== null && byId.has(chosen) ? chosen : (order[order.length - 1] ?? null);
  const afterSplit = addAfter !== null && byId.get(addAfter)?.type === 'decision_split';
  const addWhere = addAfter === null ? 'as the first step' : `after step ${addAfter}${afterSplit ? ` on its ${splitBranch} branch` : ''}`;

  return (
    <StepProblemsContext value={reportStepProblem}>
    <div className="canvas-page">
      <p className="crumbs">
        <Link to="/canvases">All canvases</Link>
      </p>
      <div className="title-row">
        <h1>{edited.name.trim() || 'Untitled canvas'}</h1>
        <span className={`badge status-${saved.status}`}>{STATUS_WORDS[saved.status]}</span>
      </div>
      <CanvasActions
        canvasId={saved.id}
        status={saved.status}
        editor={editor}
        dirty={dirty}
        busy={action.isPending}
        onSave={() => action.mutate('save')}
        onLaunch={() => action.mutate('launch')}
        onStop={() => action.mutate('stop')}
        onArchive={() => action.mutate('archive')}
      />
      {/* "Saved." next to "Unsaved changes" would contradict itself once the user edits again. */}
      {editable ? (
        <div className="row history-actions">
          <button type="button" className="secondary" onClick={history.undo} disabled={!history.canUndo} aria-keyshortcuts="Control+Z Meta+Z">
            Undo
          </button>
          <button type="button" className="secondary" onClick={history.redo} disabled={!history.canRedo} aria-keyshortcuts="Control+Shift+Z Meta+Shift+Z Control+Y">
            Redo
          </button>
        </div>
      ) : null}
      {editable ? <LeaveGuard dirty={dirty} /> : null}
      {notice && !(notice === 'save' && dirty) ? (
        <p className="alert ok" role="status">
          {notice === 'save' && savedAs ? savedAs : NOTICE[notice]}
        </p>
      ) : null}
      {action.error && !refused && !stale ? <ErrorAlert error={action.error} /> : null}
      {refused && refusal ? (
        <div className="refusal">
          {refusal.top.length === 0 ? (
            <p className="alert error" role="alert">
              Launch refused: fix the steps marked below.
            </p>
          ) : null}
          {refusal.top.map((reason) => (
            <p key={reason} className="alert error" role="alert">
              Launch refused: {reason}
              {reason.startsWith('TikTok:') ? (
                <>
                  {' '}
                  <Link to="/partners/tiktok">Go to TikTok settings</Link>
                </>
              ) : null}
            </p>
          ))}
        </div>
      ) : null}
      {!editor ? <p className="note">You are a viewer: you can look at this canvas; editors and admins change it.</p> : null}
      {editor && !editable ? <p className="note">This canvas is archived: its settings and steps are shown read-only.</p> : null}
      {editable && saved.status !== 'draft' ? (
        <p className="note">This canvas is {STATUS_WORDS[saved.status].toLowerCase()}: saving makes version {saved.version + 1}. Users already inside finish on the version they entered with.</p>
      ) : null}
      {!refused && live.top.length > 0 ? (
        <div className="live-problems">
          <p>Before this canvas can launch:</p>
          <ul>
            {live.top.map((problem) => (
              <li key={problem}>{problem}</li>
            ))}
          </ul>
        </div>
      ) : null}

      <EntrySettings canvas={edited} editable={editable} onChange={setEdited} onAudience={onAudience} />

      <h2>Journey</h2>
      <CanvasGraph canvas={edited} chosen={chosen} editable={editable} onOpen={openStep} onLink={onGraphLink} />

      <div className="steps-head">
        <h2>Steps</h2>
        {editable ? (
          <div className="row">
            <AddStepMenu onAdd={onAdd} where={addWhere} splitBranch={afterSplit ? { value: splitBranch, onChange: setSplitBranch } : undefined} />
            <small>New steps go {addWhere}. Click a step to choose another place.</small>
          </div>
        ) : null}
      </div>
      {order.length === 0 ? <p className="note">{editable ? 'No steps yet. Use Add step to add the first one.' : 'This canvas has no steps.'}</p> : null}
      {order.map((id) => {
        const step = byId.get(id)!;
        return (
          <StepCard
            key={id}
            ref={(el: HTMLElement | null) => {
              if (el) cards.current.set(id, el);
              else cards.current.delete(id);
            }}
            step={step}
            types={types}
            first={edited.first_step === id}
            deleteQuestion={deleteStepWords(edited, id)}
            editable={editable}
            chosen={chosen === id}
            reasons={(refused && refusal?.byStep.get(id)) || []}
            warnings={warnings.get(id) ?? []}
            live={refused ? [] : (live.byStep.get(id) ?? [])}
            onChange={setStep}
            onChoose={() => setChosen(id)}
            onLink={(branch, to) => setLink(id, branch, to)}
            onMakeFirst={() => setEdited((c) => makeFirst(c, id))}
            onDelete={() => onDelete(id)}
          />
        );
      })}

      <JsonView
        canvasId={saved.id}
        canvas={edited}
        editable={editable}
        onApply={(canvas) => {
          setEdited(canvas);
          setAudience({ problem: null });
        }}
      />
      <VersionsPanel canvasId={saved.id} current={saved.version} />
    </div>
    </StepProblemsContext>
  );
}

/** After a save that made a new version: which version whom. */
const savedAsWords = (version: number): string =>
  version === 2
    ? 'Saved as version 2: users already in the canvas finish on version 1; new users get version 2.'
    : `Saved as version ${version}: users already in the canvas finish on the version they entered with; new users get version ${version}.`;
