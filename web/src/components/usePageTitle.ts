import { useEffect } from 'react';

/** Each page names itself in the tab and for screen readers. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Cohort`;
  }, [title]);
}
