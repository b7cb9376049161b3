import type { AttributeReader } from '../core/filter.ts';
import type { Json, Profile } from '../store/port.ts';

const STANDARD = new Set(['email', 'phone', 'first_name', 'last_name', 'country', 'language', 'idfa', 'gaid', 'ads_tracking_enabled']);

/** Reads a profile attribute by its contract name: `external_id`, a standard attribute, or a custom one. */
export function attributeReader(profile: Profile): AttributeReader {
  return (name) => {
    if (name === 'external_id') return profile.externalId;
    if (STANDARD.has(name)) return profile[name as keyof Profile];
    return profile.custom[name];
  };
}

/** The profile with a user_update applied, so later steps in the same run see it. Pure. */
export function withUpdate(profile: Profile, set: Record<string, Json>): Profile {
  const next: Profile = { ...profile, custom: { ...profile.custom } };
  for (const [key, value] of Object.entries(set)) {
    if (STANDARD.has(key)) (next as unknown as Record<string, unknown>)[key] = key === 'ads_tracking_enabled' ? (value === null ? null : Boolean(value)) : value === null ? null : String(value);
    else if (value === null) next.custom = Object.fromEntries(Object.entries(next.custom).filter(([k]) => k !== key));
    else next.custom[key] = value;
  }
  return next;
}

/** Splits a user_update `set` into standard columns and custom attributes, as the store takes them. */
export function splitAttributes(set: Record<string, Json>): { standard: Record<string, string | boolean | null>; custom: Record<string, Json> } {
  const standard: Record<string, string | boolean | null> = {};
  const custom: Record<string, Json> = {};
  for (const [key, value] of Object.entries(set)) {
    if (STANDARD.has(key)) standard[key] = key === 'ads_tracking_enabled' ? (value === null ? null : Boolean(value)) : value === null ? null : String(value);
    else custom[key] = value;
  }
  return { standard, custom };
}
