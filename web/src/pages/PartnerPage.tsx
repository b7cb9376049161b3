// Being built (issue #17): replaced by its helper's page.
import { usePageTitle } from '../components/usePageTitle.ts';

export function PartnerPage() {
  usePageTitle('Partner');
  return <h1>Partner</h1>;
}
