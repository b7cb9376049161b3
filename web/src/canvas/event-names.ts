/** The workspace's tracked event names (`GET /api/events/names`), for the Entry and Exit suggestions. */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client.ts';

export function useEventNames(): string[] {
  const query = useQuery({
    queryKey: ['events', 'names'],
    queryFn: () => api<{ events: { name: string }[] }>('GET', '/api/events/names').then((r) => r.events.map((e) => e.name)),
    staleTime: 60_000,
  });
  return query.data ?? [];
}
