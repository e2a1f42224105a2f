/** `http.<method>` for an HTTP action that names no action, else `undefined`. */
export function defaultHttpAction(httpRequest: unknown): string | undefined {
  if (typeof httpRequest !== 'object' || httpRequest === null) return undefined
  const method = (httpRequest as { method?: unknown }).method
  return typeof method === 'string' && /^[A-Z]{1,16}$/.test(method)
    ? `http.${method.toLowerCase()}`
    : undefined
}
