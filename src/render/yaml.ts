import { parseDocument, type Document } from 'yaml';

/**
 * Both consumers read YAML 1.1 (PyYAML in LiteLLM, and Compose treats unquoted yes/no/on/off loosely), so we
 * write 1.1: strings such as "on" or "1:20" get quoted instead of turning into booleans or numbers.
 */
export function templateDocument(template: string): Document {
  return parseDocument(template, { version: '1.1' });
}

export function stringify(doc: Document): string {
  return doc.toString({ lineWidth: 0, indentSeq: true });
}
