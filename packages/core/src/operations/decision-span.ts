/**
 * One OpenTelemetry span per decision, through `@opentelemetry/api`: a no-op unless the
 * application registers an SDK. Attributes name the action, the outcome, the policy and
 * the receipt; never an argument value or the context.
 */
import {
  ProxyTracerProvider,
  type Span,
  SpanStatusCode,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api'
import { WritError } from '@writ/verify'
import type { Decision } from '../types.js'

/** What a provider that no SDK has been given delegates to: the API's no-op provider. */
const noDelegate = new ProxyTracerProvider().getDelegate()

/**
 * The registered tracer provider, or `undefined` while no SDK is registered (the global
 * provider is then the API's own proxy, still delegating to its no-op provider). Asked on
 * every decision, so an SDK registered later, or registered again after
 * `trace.disable()`, gets the spans from the next decision on.
 */
function registeredProvider(): TracerProvider | undefined {
  const provider = trace.getTracerProvider()
  return provider instanceof ProxyTracerProvider && provider.getDelegate() === noDelegate
    ? undefined
    : provider
}

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

/**
 * Runs one decision inside a span; a decision that rejects ends the span with an error.
 * With no SDK registered it runs the decision alone: a no-op span would cost a context
 * lookup and a promise per decision and record nothing.
 */
export function traceDecision(run: () => Promise<Decision>): Promise<Decision> {
  const provider = registeredProvider()
  return provider === undefined ? run() : traceInSpan(provider.getTracer('@writ/core'), run)
}

async function traceInSpan(tracer: Tracer, run: () => Promise<Decision>): Promise<Decision> {
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
