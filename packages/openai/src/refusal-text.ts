import { refusalPayload } from '@writ/core'

/**
 * The refusal JSON the model reads as the tool's output: `refusalPayload` from
 * `@writ/core`, serialized. Should serializing the refusal itself fail, a minimal
 * refusal is returned instead: a refusal is never lost and never becomes a result.
 */
export function refusalText(errorOrDecision: unknown): string {
  try {
    return JSON.stringify(refusalPayload(errorOrDecision as Parameters<typeof refusalPayload>[0]))
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
