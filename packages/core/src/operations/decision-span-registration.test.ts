import { trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createPaymentsGate } from '../testing/payments-fixture.js'
import { DECISION_SPAN_NAME } from './decision-span.js'

// A gate skips the span while no SDK is registered; these check that skipping never
// loses a span once one is, whichever comes first: the SDK or the gate's decisions.

const request = { action: 'payments.transfer', args: { to: 'acme', amount: 5 } }

function register(): InMemorySpanExporter {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  expect(trace.setGlobalTracerProvider(provider)).toBe(true)
  return exporter
}

afterEach(() => trace.disable())

describe('decision spans and the moment an SDK is registered', () => {
  it('records the decisions after an SDK registered once the gate already decided', async () => {
    const gate = createPaymentsGate()
    const before = await gate.authorize(request)
    const exporter = register()
    const after = await gate.authorize(request)
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.name)).toEqual([DECISION_SPAN_NAME])
    expect(spans[0]?.attributes['writ.receipt.id']).toBe(after.claims.jti)
    expect(spans[0]?.attributes['writ.receipt.id']).not.toBe(before.claims.jti)
  })

  it('records decisions of a gate module loaded after the SDK was registered', async () => {
    const exporter = register()
    vi.resetModules()
    const fixture = await import('../testing/payments-fixture.js')
    const decision = await fixture.createPaymentsGate().authorize(request)
    expect(exporter.getFinishedSpans().map((span) => span.attributes['writ.receipt.id'])).toEqual([
      decision.claims.jti,
    ])
  })

  it('stops recording once the SDK is removed, and records again when one returns', async () => {
    const gate = createPaymentsGate()
    const first = register()
    await gate.authorize(request)
    trace.disable()
    await gate.authorize(request)
    expect(first.getFinishedSpans()).toHaveLength(1)
    const second = register()
    const decision = await gate.authorize(request)
    expect(second.getFinishedSpans().map((span) => span.attributes['writ.receipt.id'])).toEqual([
      decision.claims.jti,
    ])
    expect(first.getFinishedSpans()).toHaveLength(1)
  })
})
