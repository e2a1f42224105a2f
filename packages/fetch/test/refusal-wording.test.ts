// What a model reads when a gated fetch is refused (the problem's detail, which the
// openai SDK surfaces as the error message), by the kind of refusal.
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { describe, expect, it } from 'vitest'
import { createGatedFetch } from '../src/index.js'
import { capturingFetch } from './support.js'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments-http
rules:
  - id: small-transfers
    effect: permit
    actions: [http.post]
    when: args.body.amount > 0 && args.body.amount <= 1000
  - id: sanctioned
    effect: deny
    actions: [http.post]
    when: has(args.body.to) && args.body.to == 'mallory'
    reason: SANCTIONED_PAYEE
`),
  keys: generateSigningKey(),
  issuer: 'https://writ.test',
})

async function refusedProblem(init: RequestInit) {
  const capture = capturingFetch()
  const gated = createGatedFetch(gate, {
    audience: 'https://pay.example.com',
    fetch: capture.fetch,
  })
  const response = await gated('https://pay.example.com/v1/transfers', { method: 'POST', ...init })
  expect(capture.requests).toEqual([])
  expect(response.status).toBe(403)
  return (await response.json()) as Record<string, unknown>
}

describe('@writ/fetch refusals, by reason class', () => {
  it('invalid input (a duplicate key): the problem code and path, and what to do', async () => {
    const problem = await refusedProblem({
      headers: { 'content-type': 'application/json' },
      body: '{"to":"acme","amount":5,"amount":500}',
    })
    expect(problem['reason']).toBe('INPUT_INVALID')
    expect(problem['problems']).toEqual([expect.objectContaining({ code: 'INPUT_DUPLICATE_KEY' })])
    expect(String(problem['detail'])).toMatch(/Correct the arguments/)
  })

  it('evaluation error (an amount the condition cannot compare): not the call, do not retry', async () => {
    const problem = await refusedProblem({
      headers: { 'content-type': 'application/json' },
      body: '{"to":"acme","amount":"five"}',
    })
    expect(problem['reason']).toBe('EVAL_ERROR')
    expect(String(problem['detail'])).toMatch(/not of your call/)
    expect(String(problem['detail'])).not.toMatch(/policy denies it/)
  })

  it('policy: do not retry', async () => {
    const problem = await refusedProblem({
      headers: { 'content-type': 'application/json' },
      body: '{"to":"mallory","amount":5}',
    })
    expect(problem['reason']).toBe('SANCTIONED_PAYEE')
    expect(String(problem['detail'])).toMatch(/Do not retry the same call/)
  })
})
