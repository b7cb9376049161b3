/**
 * How a step editor says "this step cannot be saved as it is" (a webhook body that is not JSON, a
 * header without a name): the canvas page provides the context, keeps one problem per step, and
 * refuses Save while any is set. An editor calls `useStepProblem(stepId, problem)`; the problem is
 * cleared when it becomes null or the editor goes away (the step deleted, say).
 */
import { createContext, useContext, useEffect } from 'react';

export type ReportStepProblem = (stepId: string, problem: string | null) => void;

export const StepProblemsContext = createContext<ReportStepProblem>(() => {});

export function useStepProblem(stepId: string, problem: string | null): void {
  const report = useContext(StepProblemsContext);
  useEffect(() => {
    report(stepId, problem);
    return () => report(stepId, null);
  }, [report, stepId, problem]);
}

/** The page's record: a new map only when something changed, so that reporting the same problem again re-renders nothing. */
export function withProblem(problems: ReadonlyMap<string, string>, stepId: string, problem: string | null): ReadonlyMap<string, string> {
  if ((problems.get(stepId) ?? null) === problem) return problems;
  const next = new Map(problems);
  if (problem === null) next.delete(stepId);
  else next.set(stepId, problem);
  return next;
}
