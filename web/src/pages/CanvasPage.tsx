// Being built (issue #17): replaced by its helper's page.
import { usePageTitle } from '../components/usePageTitle.ts';

export function CanvasPage() {
  usePageTitle('Canvas');
  return <h1>Canvas</h1>;
}
