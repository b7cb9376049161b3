// Being built (issue #17): replaced by its helper's page.
import { usePageTitle } from '../components/usePageTitle.ts';

export function MembersPage() {
  usePageTitle('Members');
  return <h1>Members</h1>;
}
