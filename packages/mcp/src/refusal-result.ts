import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { type RefusalPayload, refusalOf, refusalPayload } from '@writ/core'

/**
 * The `_meta` key under which a gated `tools/call` result carries its receipt (compact
 * JWS): the PERMIT the call ran on, or the DENY or SILENCE that refused it.
 */
export const RECEIPT_META_KEY = 'dev.writ/receipt'

/**
 * A refused call as the tool result the model reads: `isError: true`, one text block
 * with the refusal JSON of `@writ/core` (decision, reason, rule, receipt id, a sentence),
 * and the receipt itself in `_meta` under {@link RECEIPT_META_KEY}. A call held for
 * approval (SILENCE `APPROVAL_REQUIRED` with a `hold` claim) also says who must approve
 * and until when, and that asking again after approval will run it.
 */
export function refusalResult(refusal: unknown): CallToolResult {
  const payload: RefusalPayload = refusalPayload(refusal)
  const { receipt, ...readable } = payload
  const hold = holdOf(refusal)
  const text =
    hold === undefined
      ? readable
      : {
          ...readable,
          hold,
          message: `Writ is holding this action for approval (hold ${payload.receipt_id}). It did not run. Once approvers have signed, ask again with the same arguments.`,
        }
  return {
    content: [{ type: 'text', text: JSON.stringify(text) }],
    isError: true,
    ...(receipt === null ? {} : { _meta: { [RECEIPT_META_KEY]: receipt } }),
  }
}

/** The `hold` claim of a held call's receipt, when the refusal is one. */
function holdOf(refusal: unknown): unknown {
  const decision = refusalOf(refusal)
  if (decision?.reason !== 'APPROVAL_REQUIRED') return undefined
  return (decision.claims as { hold?: unknown }).hold
}
