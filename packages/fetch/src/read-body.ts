/** The default most bytes a body may have before Writ refuses to hash it: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

// The bounded read every Writ component uses for request bodies (one copy, in verify).
export { readStreamBytes as readBodyBytes } from '@writ/verify/internal'
