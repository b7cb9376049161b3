/** The workspace's attribute names (GET /api/attributes), for the filter builder's suggestions and value types. */
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { api } from '../../api/client.ts';
import type { AttributeInfo, AttributeType } from './model.ts';

export function useAttributes(): { list: readonly AttributeInfo[]; typeOf: (name: string) => AttributeType | undefined } {
  // A minute is fresh enough: a name tracked meanwhile can be typed in, suggestions only help.
  const query = useQuery({ queryKey: ['attributes'], queryFn: () => api<{ attributes: AttributeInfo[] }>('GET', '/api/attributes'), staleTime: 60_000 });
  return useMemo(() => {
    const list = query.data?.attributes ?? [];
    const types = new Map(list.map((a) => [a.name, a.type] as const));
    return { list, typeOf: (name: string) => types.get(name.trim()) };
  }, [query.data]);
}
