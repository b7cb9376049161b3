// Being built (issue #17): replaced by its helper's page.
import { usePageTitle } from '../components/usePageTitle.ts';

export function AnalyticsPage() {
  usePageTitle('Analytics');
  return <h1>Analytics</h1>;
}
