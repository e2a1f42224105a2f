/** Appends one reference token to a JSON Pointer (RFC 6901), escaping `~` and `/`. @internal */
export function appendPointer(pointer: string, token: string | number): string {
  if (typeof token === 'number') return `${pointer}/${token}`
  // Most member names need no escaping; skip the two replacements on the hot path.
  if (!token.includes('~') && !token.includes('/')) return `${pointer}/${token}`
  return `${pointer}/${token.replace(/~/g, '~0').replace(/\//g, '~1')}`
}
