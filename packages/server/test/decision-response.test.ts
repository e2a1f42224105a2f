/**
 * The decision answer as `writ serve` writes it on Node: JSON text built from the
 * decision's parts, headers set on Node's own response, the log line and the metrics of
 * each request, for answers and refusals alike.
 */
import { Writable } from 'node:stream'
import type { Decision } from '@writ/core'
import { createPaymentsGate } from '@writ/core/testing'
import { verifyReceipt } from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'
import {
  createAuthorityLogger,
  hashToken,
  type ListeningAuthority,
  startAuthorityServer,
} from '../src/index.js'
import { Counter } from '../src/metrics.js'
import { decisionJson } from '../src/routes/decisions.js'

const agentToken = 'decision-response-agent-0123456789'
const operatorToken = 'decision-response-operator-0123456789'
let authority: ListeningAuthority | undefined

afterEach(async () => {
  await authority?.close()
  authority = undefined
})

async function listening() {
  const chunks: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'))
      done()
    },
  })
  const gate = createPaymentsGate()
  authority = await startAuthorityServer({
    gate,
    agents: [{ agent: 'agent:payer', tokenSha256: hashToken(agentToken) }],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    logger: createAuthorityLogger({ level: 'info', destination }),
  })
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { gate, url: authority.url, metrics: authority.metrics, lines }
}

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })

const transfer = (amount: number) =>
  JSON.stringify({ action: 'payments.transfer', args: JSON.stringify({ amount, to: 'bob' }) })

/** The answer body built as an object, the oracle decisionJson is held to. */
function decisionBody(decision: Decision): Record<string, unknown> {
  return {
    decision: decision.decision,
    reason: decision.reason,
    rule: decision.rule,
    receipt: decision.receipt,
    ...(decision.decision !== 'PERMIT' && decision.problem ? { problem: decision.problem } : {}),
    ...(decision.decision !== 'PERMIT' && decision.hold ? { hold: decision.hold } : {}),
  }
}

describe('decisionJson', () => {
  it('is decisionBody as JSON text, for a PERMIT, a DENY with its problem, and a hold', async () => {
    const gate = createPaymentsGate()
    const permit = await gate.authorize({
      action: 'payments.transfer',
      args: { amount: 10, to: 'bob' },
    })
    const refused = await gate.authorize({
      action: 'payments.transfer',
      args: '{"amount": 1, "amount": 2}',
    })
    expect(permit.decision).toBe('PERMIT')
    expect(refused.decision).toBe('DENY')
    expect(refused.decision !== 'PERMIT' && refused.problem?.code).toBeTruthy()
    const held = {
      ...refused,
      decision: 'SILENCE',
      reason: 'APPROVAL_REQUIRED',
      rule: null,
      problem: undefined,
      hold: { id: 'hold-1', approvers: ['alice "the" approver\\'] },
    } as unknown as Decision
    for (const decision of [permit, refused, held]) {
      const text = decisionJson(decision)
      expect(JSON.parse(text)).toEqual(decisionBody(decision))
      expect(text).toBe(JSON.stringify(decisionBody(decision)))
    }
  })
})

describe('decision answers over Node', () => {
  it('answers JSON whose receipt verifies, with the caller’s request id, and logs the agent', async () => {
    const { gate, url, lines } = await listening()
    const response = await post(url, transfer(10), {
      authorization: `Bearer ${agentToken}`,
      'x-request-id': 'trace-77',
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('x-request-id')).toBe('trace-77')
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['decision', 'reason', 'rule', 'receipt'])
    expect(body['decision']).toBe('PERMIT')
    const verified = await verifyReceipt(body['receipt'] as string, await gate.keys())
    expect(verified.claims.sub).toBe('agent:payer')
    const line = lines().find((entry) => entry['requestId'] === 'trace-77')
    expect(line).toMatchObject({
      agent: 'agent:payer',
      decision: 'PERMIT',
      status: 200,
      jti: verified.claims.jti,
    })
  })

  it('gives refusals a fresh request id, counts them by code and logs their code', async () => {
    const { url, metrics, lines } = await listening()
    const cases = [
      [{}, transfer(10), 401, 'UNAUTHENTICATED'],
      [{ authorization: `Bearer ${operatorToken}` }, transfer(10), 403, 'AGENT_REQUIRED'],
      [
        { authorization: `Bearer ${agentToken}` },
        JSON.stringify({ action: 'payments.transfer', args: '{}', agent: 'agent:admin' }),
        400,
        'INPUT_SYNTAX',
      ],
      [
        { authorization: `Bearer ${agentToken}`, 'x-request-id': 'not an id; <script>' },
        '{"action":',
        400,
        'INPUT_SYNTAX',
      ],
    ] as const
    for (const [headers, body, status, code] of cases) {
      const response = await post(url, body, headers)
      expect(response.status).toBe(status)
      expect(((await response.json()) as { code: string }).code).toBe(code)
      const requestId = response.headers.get('x-request-id')
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/)
      expect(lines().find((entry) => entry['requestId'] === requestId)).toMatchObject({
        status,
        code,
        level: 'warn',
      })
    }
    expect(metrics.refusals.value({ status: '400', code: 'INPUT_SYNTAX' })).toBe(2)
    expect(metrics.refusals.value({ status: '401', code: 'UNAUTHENTICATED' })).toBe(1)
    expect(metrics.refusals.value({ status: '403', code: 'AGENT_REQUIRED' })).toBe(1)
    expect(metrics.httpRequests.value({ route: '/v1/decisions', status: '400' })).toBe(2)
  })
})

describe('Counter labels', () => {
  it('escapes backslashes, newlines and quotes in label values, and keeps plain ones', () => {
    const counter = new Counter('writ_test_total', 'A test counter.')
    counter.inc({ action: 'a"b\\c\nd', decision: 'PERMIT' })
    counter.inc({ action: 'a"b\\c\nd', decision: 'PERMIT' }, 2)
    expect(counter.render()).toContain(
      'writ_test_total{action="a\\"b\\\\c\\nd",decision="PERMIT"} 3',
    )
    expect(counter.value({ action: 'a"b\\c\nd', decision: 'PERMIT' })).toBe(3)
  })

  it('sends label combinations past its cap to one overflow series', () => {
    const counter = new Counter('writ_test_total', 'A test counter.')
    for (let index = 0; index < 2005; index++) counter.inc({ action: `a${index}` })
    expect(counter.value({ overflow: 'true' })).toBe(5)
    counter.inc({ action: 'a0' })
    expect(counter.value({ action: 'a0' })).toBe(2)
  })
})
