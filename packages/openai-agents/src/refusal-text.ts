import { type RefusalPayload, refusalPayload } from '@writ/core'

/**
 * The tool output a refused call gets, which the model reads: the `RefusalPayload` of
 * `@writ/core` (decision, reason, rule, receipt id, the signed receipt and one sentence
 * meant for the model) as JSON text.
 *
 * @param refusal a refusal payload, or the error or refusal decision to build one from
 */
export function refusalText(refusal: RefusalPayload | unknown): string {
  const isPayload =
    typeof refusal === 'object' &&
    refusal !== null &&
    (refusal as { writ?: unknown }).writ === 'refused'
  return JSON.stringify(isPayload ? refusal : refusalPayload(refusal))
}
