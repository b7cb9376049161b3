/** The dashboard's routes (spec §8). Everything but setup and sign-in needs a session. */
import type { ReactNode } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { Shell } from './components/Shell.tsx';
import { AnalyticsPage } from './pages/AnalyticsPage.tsx';
import { ApiKeysPage } from './pages/ApiKeysPage.tsx';
import { CanvasesPage } from './pages/CanvasesPage.tsx';
import { CanvasPage } from './pages/CanvasPage.tsx';
import { MembersPage } from './pages/MembersPage.tsx';
import { NotFoundPage } from './pages/NotFoundPage.tsx';
import { PartnerPage } from './pages/PartnerPage.tsx';
import { SetupPage } from './pages/SetupPage.tsx';
import { SignInLinkPage } from './pages/SignInLinkPage.tsx';
import { SignInPage } from './pages/SignInPage.tsx';
import { UserPage } from './pages/UserPage.tsx';
import { RequireSession } from './session.tsx';

const signedIn = (page: ReactNode) => (
  <RequireSession>
    <Shell>{page}</Shell>
  </RequireSession>
);

export function App() {
  return (
    <Routes>
      <Route path="/setup" element={<SetupPage />} />
      <Route path="/signin" element={<SignInPage />} />
      <Route path="/signin/link" element={<SignInLinkPage />} />
      <Route path="/" element={signedIn(<Navigate to="/canvases" replace />)} />
      <Route path="/canvases" element={signedIn(<CanvasesPage />)} />
      <Route path="/canvases/:id" element={signedIn(<CanvasPage />)} />
      <Route path="/canvases/:id/analytics" element={signedIn(<AnalyticsPage />)} />
      <Route path="/partners/tiktok" element={signedIn(<PartnerPage />)} />
      <Route path="/users" element={signedIn(<UserPage />)} />
      <Route path="/users/:externalId" element={signedIn(<UserPage />)} />
      <Route path="/settings/members" element={signedIn(<MembersPage />)} />
      <Route path="/settings/api-keys" element={signedIn(<ApiKeysPage />)} />
      <Route path="*" element={signedIn(<NotFoundPage />)} />
    </Routes>
  );
}
