/** Whether a dockerode error is the engine's 404: no such container, image, network, volume or service. */
export function isAbsent(error: unknown): boolean {
  return (error as { statusCode?: number } | undefined)?.statusCode === 404;
}

/** What `request` answers, or undefined when the engine answers that the object does not exist; any other failure stays one. */
export async function unlessAbsent<T>(request: Promise<T>): Promise<T | undefined> {
  try {
    return await request;
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}
