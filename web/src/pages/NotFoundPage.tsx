import { Link } from 'react-router';
import { usePageTitle } from '../components/usePageTitle.ts';

export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing lives at this address. Go to the <Link to="/canvases">canvases</Link>.
      </p>
    </>
  );
}
