// Being built (issue #17): replaced by its helper's page.
import { usePageTitle } from '../components/usePageTitle.ts';

export function CanvasesPage() {
  usePageTitle('Canvases');
  return <h1>Canvases</h1>;
}
