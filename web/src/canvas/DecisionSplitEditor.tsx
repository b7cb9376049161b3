/**
 * The Decision Split step's editor (spec §3 `config.filter`): users who match the filter go the Yes
 * way, the others the No way. An empty filter sends everyone Yes (the engine matches a missing filter).
 */
import { useState } from 'react';
import type { Filter, Step } from '../api/types.ts';
import { FilterBuilder } from './filter/FilterBuilder.tsx';
import { useStepProblem } from './step-problems.ts';

export interface DecisionSplitEditorProps {
  step: Step;
  editable: boolean;
  onChange: (step: Step) => void;
}

export function DecisionSplitEditor({ step, editable, onChange }: DecisionSplitEditorProps) {
  const [problem, setProblem] = useState<string | null>(null);
  useStepProblem(step.id, problem);
  const filter = step.config.filter as Filter | null | undefined;
  return (
    <div className="split-editor">
      <FilterBuilder
        legend="Split filter"
        emptyMeans="No filter: every user goes the Yes way"
        value={filter}
        bareWhenOne
        editable={editable}
        onChange={(next, why) => {
          setProblem(why);
          if (why !== null) return;
          const { filter: _old, ...rest } = step.config;
          onChange({ ...step, config: next === null ? rest : { ...rest, filter: next } });
        }}
      />
      <p>
        <small>Users who match go the Yes way; the others go the No way.</small>
      </p>
    </div>
  );
}
