import { trace } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createPaymentsGate } from '../testing/payments-fixture.js'
import { DECISION_SPAN_NAME } from './decision-span.js'

const exporter = new InMemorySpanExporter()

beforeAll(() => {
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  trace.setGlobalTracerProvider(provider)
})
afterAll(() => trace.disable())

describe('decision spans', () => {
  it('emits one span per decision naming the outcome, never an argument value', async () => {
    exporter.reset()
    const gate = createPaymentsGate()
    const permit = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'secret-payee', amount: 777 },
      context: { note: 'secret-context' },
    })
    const deny = await gate.authorize({ action: 'exports.all', args: {} })
    const spans = exporter.getFinishedSpans()
    expect(spans.map((span) => span.name)).toEqual([DECISION_SPAN_NAME, DECISION_SPAN_NAME])
    expect(spans[0]?.attributes).toMatchObject({
      'writ.action': 'payments.transfer',
      'writ.decision': 'PERMIT',
      'writ.rule': 'small-transfers',
      'writ.reason': 'RULE_PERMIT',
      'writ.policy.digest': permit.claims.policy.digest,
      'writ.receipt.id': permit.claims.jti,
    })
    expect(spans[1]?.attributes).toMatchObject({
      'writ.decision': 'DENY',
      'writ.reason': 'EXPORTS_FORBIDDEN',
      'writ.receipt.id': deny.claims.jti,
    })
    const text = JSON.stringify(spans.map((span) => span.attributes))
    for (const secret of ['secret-payee', '777', 'secret-context']) {
      expect(text).not.toContain(secret)
    }
  })

  it('ends the span with an error when no receipt could be issued', async () => {
    exporter.reset()
    const gate = createPaymentsGate()
    await gate.store.close()
    await expect(gate.authorize({ action: 'reports.read', args: {} })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    })
    const [span] = exporter.getFinishedSpans()
    expect(span?.status.code).toBe(2)
    expect(span?.attributes['writ.error']).toBe('STORE_UNAVAILABLE')
    expect(span?.attributes['writ.decision']).toBeUndefined()
  })
})
