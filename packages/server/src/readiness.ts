import type { LocalGate } from '@writ/core'

/**
 * Why the gate cannot sign now, or `undefined` when it can: the active key's `nbf` is
 * still ahead or its `exp` has passed (for example a rotation's grace ran out before
 * the new key ring was loaded). The gate then refuses every decision with
 * `KEY_INVALID`, so the instance must not be ready either.
 */
export function signingKeyProblem(gate: LocalGate, nowSeconds: number): string | undefined {
  const key = gate.keyRing.active.publicJwk
  if (key.nbf !== undefined && nowSeconds < key.nbf)
    return `The active key ${key.kid} is not valid before ${key.nbf}.`
  if (key.exp !== undefined && nowSeconds > key.exp)
    return `The active key ${key.kid} expired at ${key.exp}; load the rotated key ring.`
  return undefined
}
