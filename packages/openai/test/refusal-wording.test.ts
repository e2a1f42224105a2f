// What the model reads from @writ/openai, by the kind of refusal, and without the
// receipt when the application asks for that.
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { describe, expect, it } from 'vitest'
import { handleChatToolCalls } from '../src/index.js'
import { dotted, refusalIn } from './support.js'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000
  - id: sanctioned
    effect: deny
    actions: [payments.transfer]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
`),
  keys: generateSigningKey(),
  issuer: 'https://writ.test',
})

async function answer(argumentsText: string, includeReceipt?: boolean) {
  const runs: unknown[] = []
  const [result] = await handleChatToolCalls(
    gate,
    {
      tool_calls: [
        {
          id: 'call_1',
          type: 'function',
          function: { name: 'payments_transfer', arguments: argumentsText },
        },
      ],
    },
    { payments_transfer: (args) => runs.push(args) },
    { actionName: dotted, ...(includeReceipt === undefined ? {} : { includeReceipt }) },
  )
  expect(runs).toEqual([])
  return refusalIn(String(result!.content))!
}

describe('@writ/openai refusals, by reason class', () => {
  it('invalid input (a duplicate key): the problem code and path, and what to do', async () => {
    const refusal = await answer('{"to":"acme","amount":5,"amount":500}')
    expect(refusal['reason']).toBe('INPUT_INVALID')
    const [problem] = refusal['problems'] as { code: string; path: string }[]
    expect(problem?.code).toBe('INPUT_DUPLICATE_KEY')
    expect(String(refusal['message'])).toContain(problem!.code)
    expect(String(refusal['message'])).toMatch(/Correct the arguments/)
  })

  it('evaluation error: not the call, do not retry', async () => {
    const refusal = await answer('{"to":"acme","amount":"five"}')
    expect(refusal['reason']).toBe('EVAL_ERROR')
    expect(String(refusal['message'])).toMatch(/not of your call/)
  })

  it('policy: do not retry', async () => {
    const refusal = await answer('{"to":"mallory","amount":5}')
    expect(refusal['reason']).toBe('SANCTIONED_PAYEE')
    expect(String(refusal['message'])).toMatch(/Do not retry the same call/)
    expect(refusal['receipt']).toEqual(expect.any(String))
  })

  it('includeReceipt: false leaves the receipt out, its id in', async () => {
    const refusal = await answer('{"to":"mallory","amount":5}', false)
    expect(refusal['receipt']).toBeNull()
    expect(refusal['receipt_id']).toEqual(expect.any(String))
  })
})
