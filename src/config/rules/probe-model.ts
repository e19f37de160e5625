import type { ConfigIssue } from '../../errors.js';
import { CANARY_MODEL_NAME, CANARY_PROBE_MODEL } from '../schema.js';
import { declaredModelNames, record } from './raw.js';

/** probe_model: the canary, or a model declared under litellm.models (whose names must leave the canary's free). */
export function checkProbeModel(value: unknown, litellm: Record<string, unknown>, issues: ConfigIssue[]): void {
  const names = declaredModelNames(litellm);
  const taken = (Array.isArray(litellm.models) ? litellm.models : []).findIndex((m) => record(m)?.name === CANARY_MODEL_NAME);
  if (value === CANARY_PROBE_MODEL && taken >= 0) {
    issues.push({
      path: `litellm.models[${taken}].name`,
      message: `"${CANARY_MODEL_NAME}" is the name of mcpgw's canary model (probe_model: canary)`,
      fix: 'give this model another name',
    });
  }
  if (typeof value !== 'string' || value === CANARY_PROBE_MODEL || names.includes(value)) return;
  issues.push({
    path: 'probe_model',
    message: `unknown model "${value}"`,
    fix: `use canary (mcpgw's deterministic model, no provider key)${names.length ? ` or a declared model: ${names.join(', ')}` : ', or declare the model under litellm.models first'}`,
  });
}
