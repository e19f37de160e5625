/**
 * Reading the raw parsed YAML defensively: the rules run beside the schema (not after it), so any field may be
 * missing or of the wrong type, and a rule that cannot read its field says nothing (the schema reports it).
 */

/** The value as a mapping, or undefined when it is none. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The strings of a list, or none when it is no list. */
export function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The names under litellm.models (the schema reports an entry without one). */
export function declaredModelNames(litellm: Record<string, unknown>): string[] {
  return (Array.isArray(litellm.models) ? litellm.models : []).map((m) => record(m)?.name).filter((n): n is string => typeof n === 'string');
}
