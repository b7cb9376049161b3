/**
 * A canvas (spec §8 "canvas"): its settings, the journey as a graph, one card per step, Add step, and
 * the lifecycle (Save, Launch, Stop, Archive). The edited canvas lives in this page's state until
 * Save (Launch saves first); leaving with unsaved changes asks the browser to warn. Editors and admins
 * edit any canvas but an archived one: saving an active or stopped canvas makes a new version (users
 * inside keep theirs; canvas/VersionsPanel.tsx lists them). Viewers see everything read-only and none
 * of the buttons. What launch would refuse is checked as you edit (canvas/useLiveProblems.ts).
 * A launch refusal's reasons are shown inside the card of the step they name, the others at the top.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, ApiError, seg } from '../api/client.ts';
import type { Canvas, CanvasBody, Step, StepType } from '../api/types.ts';
import { AddStepMenu } from '../canvas/AddStepMenu.tsx';
import { CanvasActions } from '../canvas/CanvasActions.tsx';
import { CanvasGraph } from '../canvas/CanvasGraph.tsx';
import { EntrySettings } from '../canvas/EntrySettings.tsx';
import { JsonView } from '../canvas/JsonView.tsx';
import { addStep, audienceText, bodyOf, parseAudience, reasonsByStep, stableJson, STATUS_WORDS, stepOrder } from '../canvas/model.ts';
import { StepCard } from '../canvas/StepCard.tsx';
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
  const [edited, setEdited] = useState<CanvasBody>(() => bodyOf(initial));
  const [audience, setAudience] = useState<{ text: string; problem: string | null }>(() => ({ text: audienceText(initial.audience), problem: null }));
  const [chosen, setChosen] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<ReturnType<typeof reasonsByStep> | null>(null);
  const [warnings, setWarnings] = useState<ReadonlyMap<string, string[]>>(new Map());
  const [notice, setNotice] = useState<Kind | null>(null);
  const cards = useRef(new Map<string, HTMLElement>());
  const focusNext = useRef<string | null>(null);

  const editable = editor && saved.status !== 'archived';
  const [savedAs, setSavedAs] = useState<string | null>(null);
  const live = useLiveProblems(saved.id, edited, editor && saved.status !== 'archived');
  const savedJson = useMemo(() => stableJson(bodyOf(saved)), [saved]);
  const dirty = editable && (audience.problem !== null || stableJson(bodyOf(edited)) !== savedJson);

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
    setEdited((current) => (sent === undefined || current === sent ? bodyOf(canvas) : current));
  };

  const action = useMutation({
    mutationFn: async (kind: Kind): Promise<LaunchAnswer> => {
      const path = `/api/canvases/${seg(saved.id)}`;
      if (kind === 'save' || (kind === 'launch' && dirty)) {
        if (edited.name.trim() === '') throw new NotSaved('Not saved: the canvas needs a name.');
        if (audience.problem !== null) throw new NotSaved(`Not saved: ${audience.problem}`);
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

  const onAudienceText = (text: string) => {
    const parsed = parseAudience(text);
    setAudience({ text, problem: parsed.ok ? null : parsed.message });
    if (parsed.ok) setEdited((c) => ({ ...c, audience: parsed.audience }));
  };
  const onAdd = (type: StepType) => {
    const { canvas, id } = addStep(edited, type, chosen);
    focusNext.current = id;
    setChosen(id);
    setEdited(canvas);
  };
  const setStep = (step: Step) => setEdited((c) => ({ ...c, steps: c.steps.map((s) => (s.id === step.id ? step : s)) }));
  const openStep = useCallback((id: string) => {
    setChosen(id);
    const card = cards.current.get(id);
    card?.scrollIntoView({ behavior: 'smooth', block: 'start' });
    card?.focus({ preventScroll: true });
  }, []);

  const order = useMemo(() => stepOrder(edited), [edited]);
  const byId = useMemo(() => new Map(edited.steps.map((s) => [s.id, s] as const)), [edited.steps]);
  const types = useMemo(() => new Map(edited.steps.map((s) => [s.id, s.type] as const)), [edited.steps]);
  const addWhere = chosen !== null && byId.has(chosen) ? `after step ${chosen}` : order.length > 0 ? `after step ${order[order.length - 1]}` : 'as the first step';

  return (
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
      {notice && !(notice === 'save' && dirty) ? (
        <p className="alert ok" role="status">
          {notice === 'save' && savedAs ? savedAs : NOTICE[notice]}
        </p>
      ) : null}
      {action.error && !refused ? <ErrorAlert error={action.error} /> : null}
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

      <EntrySettings canvas={edited} editable={editable} onChange={setEdited} audienceText={audience.text} audienceProblem={audience.problem} onAudienceText={onAudienceText} />

      <h2>Journey</h2>
      <CanvasGraph canvas={edited} chosen={chosen} onOpen={openStep} />

      <div className="steps-head">
        <h2>Steps</h2>
        {editable ? (
          <div className="row">
            <AddStepMenu onAdd={onAdd} where={addWhere} />
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
            editable={editable}
            chosen={chosen === id}
            reasons={(refused && refusal?.byStep.get(id)) || []}
            warnings={warnings.get(id) ?? []}
            live={refused ? [] : (live.byStep.get(id) ?? [])}
            onChange={setStep}
            onChoose={() => setChosen(id)}
          />
        );
      })}

      <JsonView
        canvasId={saved.id}
        canvas={edited}
        editable={editable}
        onApply={(canvas) => {
          setEdited(canvas);
          setAudience({ text: audienceText(canvas.audience), problem: null });
        }}
      />
      <VersionsPanel canvasId={saved.id} current={saved.version} />
    </div>
  );
}

/** After a save that made a new version: which version whom. */
const savedAsWords = (version: number): string =>
  version === 2
    ? 'Saved as version 2: users already in the canvas finish on version 1; new users get version 2.'
    : `Saved as version ${version}: users already in the canvas finish on the version they entered with; new users get version ${version}.`;
