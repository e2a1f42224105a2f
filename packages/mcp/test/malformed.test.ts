import { createKeySet, verifyReceipt } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Answer, RawSession } from './raw-session.js'
import { bankServer, environment, type Workspace, workspace } from './support.js'

let space: Workspace
let session: RawSession

beforeAll(async () => {
  space = workspace()
  session = await RawSession.start(
    [...space.proxyArgs(), '--', process.execPath, bankServer],
    environment(space),
  )
})

afterAll(async () => {
  await session?.close()
  space?.remove()
})

/** The refusal a tools/call answer carries, with its verified receipt's claims. */
async function refusalIn(answer: Answer) {
  expect(answer.result?.isError).toBe(true)
  const refusal = JSON.parse(answer.result!.content[0]!.text) as Record<string, unknown>
  const token = answer.result!._meta?.['dev.writ/receipt'] as string
  const { claims } = await verifyReceipt(token, createKeySet(space.keys()))
  return { refusal, claims }
}

const big = 'x'.repeat(1_200_000)

describe('writ mcp proxy: calls that are not I-JSON never reach the upstream server', () => {
  it.each([
    [
      'a duplicate key in the arguments',
      '{"name":"transfer","arguments":{"to":"alice","amount":10,"amount":100000}}',
    ],
    [
      'a duplicate tool name',
      '{"name":"balance","name":"transfer","arguments":{"to":"alice","amount":10}}',
    ],
    [
      'a __proto__ key',
      '{"name":"transfer","arguments":{"to":"alice","amount":10,"__proto__":{"amount":1}}}',
    ],
    [
      'a nested constructor key',
      '{"name":"transfer","arguments":{"to":"alice","amount":10,"memo":{"constructor":1}}}',
    ],
    ['a lone surrogate', '{"name":"transfer","arguments":{"to":"al\\ud800ice","amount":10}}'],
    [
      'an unsafe integer',
      '{"name":"transfer","arguments":{"to":"alice","amount":9007199254740993}}',
    ],
    [
      'oversized arguments',
      `{"name":"transfer","arguments":{"to":"alice","amount":10,"memo":"${big}"}}`,
    ],
  ])('refuses %s with a DENY INPUT_INVALID receipt', async (_name, params) => {
    const { refusal, claims } = await refusalIn(await session.call(_name, params))
    expect(refusal).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(claims).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(claims.act.name).toBe('mcp.bank.transfer')
  })

  it('answers broken JSON with a parse error, and a message over 4 MiB the same way', async () => {
    session.write('{"jsonrpc":"2.0","id":"broken","method":"tools/call","params":{')
    expect((await session.answer(null)).error?.code).toBe(-32700)
    session.write(
      `{"jsonrpc":"2.0","id":"huge","method":"tools/call","params":{"name":"transfer","arguments":{"memo":"${'y'.repeat(4_300_000)}"}}}`,
    )
    expect((await session.answer(null)).error?.code).toBe(-32700)
  })

  it('answers arguments that are not an object with an error', async () => {
    const answer = await session.call('array', '{"name":"transfer","arguments":[1,2]}')
    // The SDK refuses the request's shape before any handler runs (its code: -32603).
    expect(answer.result).toBeUndefined()
    expect(answer.error?.code).toBeLessThan(-32000)
  })

  it('never forwarded any of them, and still forwards a permitted call', async () => {
    expect(space.calls()).toEqual([])
    const answer = await session.call(
      'good',
      '{"name":"transfer","arguments":{"to":"alice","amount":10}}',
    )
    expect(answer.result?.isError).toBeUndefined()
    expect(space.calls()).toEqual([
      expect.objectContaining({ tool: 'transfer', args: { to: 'alice', amount: 10 } }),
    ])
  })
})
