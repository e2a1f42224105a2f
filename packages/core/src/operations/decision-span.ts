/**
 * One OpenTelemetry span per decision, through `@opentelemetry/api`: a no-op unless the
 * application registers an SDK. Attributes name the action, the outcome, the policy and
 * the receipt; never an argument value or the context.
 */
import { type Span, SpanStatusCode, trace } from '@opentelemetry/api'
import { WritError } from '@writ/verify'
import type { Decision } from '../types.js'

const tracer = trace.getTracer('@writ/core')

/** The span's name. */
export const DECISION_SPAN_NAME = 'writ.decision'

/** The attributes a decision's span carries (no argument values, no context). */
export function decisionSpanAttributes(decision: Decision): Record<string, string | number> {
  const claims = decision.claims
  return {
    'writ.action': claims.act.name,
    'writ.decision': decision.decision,
    'writ.reason': decision.reason,
    ...(decision.rule === null ? {} : { 'writ.rule': decision.rule }),
    'writ.policy.id': claims.policy.id,
    'writ.policy.digest': claims.policy.digest,
    'writ.receipt.id': claims.jti,
    'writ.chain.id': claims.chain.id,
    'writ.chain.seq': claims.chain.seq,
  }
}

/** Runs one decision inside a span; a decision that rejects ends the span with an error. */
export async function traceDecision(run: () => Promise<Decision>): Promise<Decision> {
  const span: Span = tracer.startSpan(DECISION_SPAN_NAME)
  try {
    const decision = await run()
    if (span.isRecording()) span.setAttributes(decisionSpanAttributes(decision))
    return decision
  } catch (error) {
    const code = WritError.isInstance(error) ? error.code : 'GATE_ERROR'
    span.setAttribute('writ.error', code)
    span.setStatus({ code: SpanStatusCode.ERROR, message: code })
    throw error
  } finally {
    span.end()
  }
}
