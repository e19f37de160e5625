import { fetchWithTimeout } from '../docker/readiness.js';

export interface JsonAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** A request whose answer is read as JSON when it is JSON, as text otherwise; network errors propagate. */
export async function requestJson(url: string, init: RequestInit, timeoutMs: number): Promise<JsonAnswer> {
  const response = await fetchWithTimeout(url, init, timeoutMs);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page or a plain string): keep the text as evidence.
  }
  return { status: response.status, body, headers: response.headers };
}
