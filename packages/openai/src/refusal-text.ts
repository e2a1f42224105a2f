import { type RefusalPayload, type RefusalPayloadOptions, refusalPayload } from '@writ/core'

/**
 * The refusal JSON the model reads as the tool's output: a `RefusalPayload` from
 * `@writ/core` (or the payload of an error or refusal decision), serialized. Should
 * serializing fail, a minimal refusal is returned instead: a refusal is never lost and
 * never becomes a result. With `includeReceipt: false` the receipt is left out (its id
 * stays): the application keeps it, and the model reads about 1 KB less.
 */
export function refusalText(
  refusal: RefusalPayload | unknown,
  options: RefusalPayloadOptions = {},
): string {
  try {
    return JSON.stringify(isPayload(refusal) ? refusal : refusalPayload(refusal, options))
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
