/**
 * A batch's commit that one bad row cannot block: the items are committed in one transaction and,
 * if the database refuses it, in halves, down to single items, so that everything that can be
 * written is, and an item refused alone goes to `alone` (which records its failure in a transaction
 * of its own; if that throws too, the database itself is failing and the error goes to the caller,
 * whose batch is run again later). For n items at most 2n − 1 transactions, about 2·log2(n) per
 * guilty item when few are: never a loop on the same batch.
 */
import type { Queries, Store } from '../store/port.ts';

export async function commitSplit<T>(store: Store, items: readonly T[], commit: (tx: Queries, part: readonly T[]) => Promise<number>, alone: (item: T, error: unknown) => Promise<number>): Promise<number> {
  if (items.length === 0) return 0;
  try {
    return await store.transaction((tx) => commit(tx, items));
  } catch (error) {
    if (items.length === 1) return alone(items[0]!, error);
    const half = items.length >>> 1;
    return (await commitSplit(store, items.slice(0, half), commit, alone)) + (await commitSplit(store, items.slice(half), commit, alone));
  }
}
