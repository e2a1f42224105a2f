/** Appends one reference token to a JSON Pointer (RFC 6901), escaping `~` and `/`. @internal */
export function appendPointer(pointer: string, token: string | number): string {
  return `${pointer}/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`
}
