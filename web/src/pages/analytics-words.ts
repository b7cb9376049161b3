/** Words of the analytics page (the reasons' meanings are in reason-words.ts, shared with the user page). */

const STEP_TYPE: Record<string, string> = {
  audience_sync: 'Audience Sync',
  delay: 'Delay',
  decision_split: 'Decision Split',
  webhook: 'Webhook',
  user_update: 'User Update',
};

export const stepTypeText = (type: string): string => STEP_TYPE[type] ?? type;

const formatter = new Intl.NumberFormat();
/** Counts with the reader's thousands separators (1,000 / 1.000 / 1 000). */
export const count = (n: number): string => formatter.format(n);

export const plural = (n: number, one: string, many: string): string => `${count(n)} ${n === 1 ? one : many}`;
