import { type RefusalPayload, refusalPayload } from '@writ/core'

/**
 * The output a refused tool call gets, which the AI SDK hands the model as the tool's
 * JSON result: the `RefusalPayload` of `@writ/core` (decision, reason, rule, receipt id,
 * the signed receipt and one sentence meant for the model).
 *
 * @param refusal a refusal payload, or the error or refusal decision to build one from
 */
export function refusalOutput(refusal: RefusalPayload | unknown): RefusalPayload {
  return isRefusalOutput(refusal) ? refusal : refusalPayload(refusal)
}

/**
 * True when `output` has the shape of a Writ refusal (`writ: 'refused'`).
 *
 * @param output a tool output
 */
export function isRefusalOutput(output: unknown): output is RefusalPayload {
  return (
    typeof output === 'object' &&
    output !== null &&
    (output as { writ?: unknown }).writ === 'refused'
  )
}
