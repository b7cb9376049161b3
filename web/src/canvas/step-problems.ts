/**
 * Step editors whose input is not yet valid JSON for their step (a filter with "abc" for a number, say)
 * tell the canvas page here, by step id, so that Save and Launch refuse with the reason instead of
 * saving something else silently. The page provides it; an editor reports null once fixed or gone.
 */
import { createContext, useContext, useEffect } from 'react';

export type ReportStepProblem = (stepId: string, problem: string | null) => void;

export const StepProblemsContext = createContext<ReportStepProblem>(() => {});

/** Reports `problem` for `stepId` while it is set, and clears it when the editor goes away. */
export function useStepProblem(stepId: string, problem: string | null): void {
  const report = useContext(StepProblemsContext);
  useEffect(() => {
    report(stepId, problem);
    return () => report(stepId, null);
  }, [report, stepId, problem]);
}
