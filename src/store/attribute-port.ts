/**
 * The attribute names a workspace's profiles use, for the filter builder's suggestions (GET
 * /api/attributes). See port.ts for the rest of the store.
 */

/** A value's JSON type, as the suggestions show it. */
export type JsonType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';

export interface CustomAttribute {
  name: string;
  /** The type most of the sampled profiles hold under that name. */
  type: JsonType;
}

export interface AttributeQueries {
  /**
   * The custom attribute names (with their commonest JSON type, then by name) of the workspace's `sample`
   * most recently created profiles, at most `limit` names. Bounded: one statement that reads at most
   * `sample` profiles, whatever the workspace's size.
   */
  listCustomAttributes(workspaceId: string, sample: number, limit: number): Promise<CustomAttribute[]>;
}
