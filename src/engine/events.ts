/**
 * What tracked events do to journeys, inside the transaction that stored them: exit rules first
 * (users leave when their current step ends), then event-triggered entries.
 */
import type { EngineHooks } from '../api/deps.ts';
import type { Profile } from '../store/port.ts';
import { storeCanvasReader } from './canvas-reader.ts';
import { enterUsers } from './enter.ts';

export function engineHooks(): EngineHooks {
  return {
    async afterTrack(tx, workspaceId, { profiles, events }, now) {
      if (events.length === 0) return;
      // Read through the transaction: on SQLite a second connection would wait for this one forever.
      const active = await storeCanvasReader(tx).listActiveCanvases(workspaceId);
      if (active.length === 0) return;
      const usersByEvent = new Map<string, Set<string>>();
      for (const e of events) {
        const users = usersByEvent.get(e.name) ?? new Set<string>();
        users.add(e.externalId);
        usersByEvent.set(e.name, users);
      }
      for (const canvas of active) {
        const leaving = new Set<string>();
        for (const name of canvas.definition.exit.events) for (const id of usersByEvent.get(name) ?? []) leaving.add(id);
        if (leaving.size > 0) await tx.requestExit(workspaceId, [canvas.id], [...leaving]);
      }
      const triggered = active.filter((c) => c.definition.entry.type === 'event' && usersByEvent.has(c.definition.entry.event ?? ''));
      if (triggered.length === 0) return;
      const byExternalId = new Map<string, Profile>(profiles.map((p) => [p.externalId, p]));
      const missing = [...new Set(events.map((e) => e.externalId))].filter((id) => !byExternalId.has(id));
      for (const p of missing.length > 0 ? await tx.getProfilesByExternalIds(workspaceId, missing) : []) byExternalId.set(p.externalId, p);
      for (const canvas of triggered) {
        const entry = canvas.definition.entry;
        const ids = entry.type === 'event' ? (usersByEvent.get(entry.event ?? '') ?? new Set<string>()) : new Set<string>();
        const candidates = [...ids].flatMap((id) => {
          const profile = byExternalId.get(id);
          return profile ? [{ profile }] : [];
        });
        await enterUsers(tx, canvas, candidates, now);
      }
    },
  };
}
