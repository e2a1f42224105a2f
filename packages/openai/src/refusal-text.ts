import { type RefusalPayload, refusalPayload } from '@writ/core'

/**
 * The refusal JSON the model reads as the tool's output: a `RefusalPayload` from
 * `@writ/core` (or the payload of an error or refusal decision), serialized. Should
 * serializing fail, a minimal refusal is returned instead: a refusal is never lost and
 * never becomes a result.
 */
export function refusalText(refusal: RefusalPayload | unknown): string {
  try {
    return JSON.stringify(isPayload(refusal) ? refusal : refusalPayload(refusal))
  } catch {
    return JSON.stringify({
      writ: 'refused',
      decision: 'ERROR',
      reason: 'GATE_ERROR',
      rule: null,
      receipt_id: null,
      receipt: null,
      message: 'The action was refused: its authorization could not be established.',
    })
  }
}

function isPayload(value: unknown): value is RefusalPayload {
  return (
    typeof value === 'object' && value !== null && (value as { writ?: unknown }).writ === 'refused'
  )
}
