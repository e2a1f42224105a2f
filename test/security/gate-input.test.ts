/**
 * Attacks on the gate's input: what reaches `authorize` may be hostile (an agent's
 * tool call, a framework's object). Nothing may run without a PERMIT for exactly what
 * runs, and every receipt the gate issues must verify.
 */
import { compilePolicy } from '@writ/core'
import { verifyChain, verifyReceipt } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { makeGate, rejectionCode } from './support.js'

describe('strings signed into receipts', () => {
  it.each([
    ['request', { request: 'call_\ud800' }],
    ['agent', { agent: 'bot\udc00' }],
    ['audience', { audience: 'https://pay.example\ud83d' }],
  ])(
    'a lone surrogate in %s is INPUT_INVALID, and every receipt still verifies',
    async (path, extra) => {
      const gate = makeGate()
      const decision = await gate.authorize({
        action: 'payments.transfer',
        args: { amount: 5 },
        ...extra,
      })
      expect(decision.decision).toBe('DENY')
      expect(decision.reason).toBe('INPUT_INVALID')
      expect(decision.decision === 'DENY' ? decision.problem?.code : undefined).toBe(
        'INPUT_LONE_SURROGATE',
      )
      expect(decision.decision === 'DENY' ? decision.problem?.path : undefined).toBe(path)
      await expect(verifyReceipt(decision.receipt, gate.verifyKeys())).resolves.toMatchObject({
        claims: { decision: 'DENY', reason: 'INPUT_INVALID', jti: decision.claims.jti },
      })
      const next = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
      expect(next.decision).toBe('PERMIT')
      const tokens: string[] = []
      for await (const stored of gate.store.receipts(gate.chainId)) tokens.push(stored.token)
      const report = await verifyChain(tokens, gate.verifyKeys())
      expect(report.valid).toBe(true)
    },
  )

  it('refuses a gate configured with an issuer or chain id that cannot be signed', () => {
    expect(() => makeGate({ issuer: 'https://a\ud800' })).toThrow(
      expect.objectContaining({ code: 'GATE_ERROR' }),
    )
    expect(() => makeGate({ chainId: 'main\udfff' })).toThrow(
      expect.objectContaining({ code: 'GATE_ERROR' }),
    )
  })
})

describe('request members are read once', () => {
  it('a getter that answers differently on the second read cannot move the HTTP binding', async () => {
    const gate = makeGate({
      policy: compilePolicy(`
writ: 1
id: pay-host
rules:
  - id: pay
    effect: permit
    actions: [http.post]
    when: args.host == 'pay.example'
`),
    })
    let reads = 0
    const httpRequest = {
      method: 'POST',
      get uri() {
        reads += 1
        return reads === 1 ? 'https://pay.example/ok' : 'https://evil.example/steal'
      },
    }
    const decision = await gate.authorize({ action: 'http.post', httpRequest })
    expect(reads).toBe(1)
    expect(decision.decision).toBe('PERMIT')
    expect(decision.claims.http?.uri).toBe('https://pay.example/ok')
  })

  it('an agent getter cannot show the policy one agent and the receipt another', async () => {
    const gate = makeGate()
    let reads = 0
    const request = {
      action: 'payments.transfer',
      args: { amount: 5 },
      get agent() {
        reads += 1
        return reads === 1 ? 'agent:alice' : 42
      },
    }
    const decision = await gate.authorize(request as never)
    expect(reads).toBe(1)
    expect(decision.claims.sub).toBe('agent:alice')
    await expect(verifyReceipt(decision.receipt, gate.verifyKeys())).resolves.toMatchObject({
      claims: { sub: 'agent:alice', decision: decision.decision, jti: decision.claims.jti },
    })
  })
})

/** `[1, <hole>, 3]`, built without a literal hole. */
function sparseArray(): unknown[] {
  const list: unknown[] = [1]
  list[2] = 3
  return list
}

describe('arguments between decision and execution', () => {
  it('mutating the caller object after authorize changes nothing that runs', async () => {
    const gate = makeGate()
    const args = { amount: 5, nested: { to: 'alice' } }
    const ran: unknown[] = []
    const pending = gate.guard({ action: 'payments.transfer', args }, (bound) => {
      ran.push(bound)
      return 'ok'
    })
    args.amount = 1_000_000
    args.nested.to = 'mallory'
    await expect(pending).resolves.toBe('ok')
    expect(ran).toEqual([{ amount: 5, nested: { to: 'alice' } }])
    expect(Object.isFrozen(ran[0])).toBe(true)
    expect(Object.isFrozen((ran[0] as { nested: object }).nested)).toBe(true)
  })

  it('a getter is read once: the executor sees the value the policy saw', async () => {
    const gate = makeGate()
    let reads = 0
    const args = {
      get amount() {
        reads += 1
        return reads === 1 ? 5 : 1_000_000
      },
    }
    const seen: number[] = []
    await gate.guard({ action: 'payments.transfer', args }, (bound) => {
      seen.push(bound['amount'] as number)
    })
    expect(seen).toEqual([5])
    expect(reads).toBe(1)
  })

  it('a Proxy cannot show the policy and the executor different arguments', async () => {
    const gate = makeGate()
    let gets = 0
    const args = new Proxy(
      { amount: 5 },
      {
        get(target, key, receiver) {
          gets += 1
          return gets > 1 && key === 'amount' ? 1_000_000 : Reflect.get(target, key, receiver)
        },
      },
    )
    const seen: unknown[] = []
    await gate.guard({ action: 'payments.transfer', args }, (bound) => {
      seen.push(bound['amount'])
    })
    expect(seen).toEqual([5])
  })

  it.each([
    ['toJSON', { amount: 5, toJSON: () => ({ amount: 1 }) }],
    [
      'a class instance',
      new (class Args {
        amount = 5
      })(),
    ],
    ['a Number object', { amount: new Number(5) }],
    ['valueOf', { amount: { valueOf: (): number => 5 } }],
    ['a Date', { amount: 5, when: new Date(0) }],
    ['a bigint', { amount: 5n }],
    ['undefined', { amount: 5, memo: undefined }],
    ['NaN', { amount: Number.NaN }],
    ['Infinity', { amount: Number.POSITIVE_INFINITY }],
    ['an unsafe integer', { amount: 2 ** 53 }],
    ['a sparse array', { amount: 5, list: sparseArray() }],
  ])('%s in arguments is INPUT_INVALID and never runs', async (_name, args) => {
    const gate = makeGate()
    let ran = false
    const code = await rejectionCode(
      gate.guard({ action: 'payments.transfer', args }, () => {
        ran = true
      }),
    )
    expect(code).toBe('ACTION_REFUSED')
    expect(ran).toBe(false)
  })

  it('Symbol keys are not JSON: the executor never sees them', async () => {
    const gate = makeGate()
    const secret = Symbol('amount')
    const seen: object[] = []
    await gate.guard(
      { action: 'payments.transfer', args: { amount: 5, [secret]: 1_000_000 } },
      (bound) => {
        seen.push(bound)
      },
    )
    expect(Object.getOwnPropertySymbols(seen[0])).toEqual([])
  })

  it.each([
    '{"amount":5,"__proto__":{"amount":1000000}}',
    '{"amount":5,"constructor":{"prototype":{"admin":true}}}',
    '{"amount":5,"x":{"prototype":1}}',
    '{"amount":5,"amount":1000000}',
    '{"amount":5,"\\u0061mount":1000000}',
    '{"amount":5,"__pro\\u0074o__":{}}',
    '{"amount":5e400}',
    '{"amount":9007199254740993}',
    '{"amount":"\\ud800"}',
  ])('raw argument text %s is refused with a DENY receipt', async (text) => {
    const gate = makeGate()
    const decision = await gate.authorize({ action: 'payments.transfer', args: text })
    expect(decision.decision).toBe('DENY')
    expect(decision.reason).toBe('INPUT_INVALID')
    expect(({} as Record<string, unknown>)['admin']).toBeUndefined()
    expect(({} as Record<string, unknown>)['amount']).toBeUndefined()
  })

  it('an own __proto__ key in an object is refused, not followed', async () => {
    const gate = makeGate()
    const args = JSON.parse('{"amount":5,"__proto__":{"amount":1}}') as object
    const decision = await gate.authorize({ action: 'payments.transfer', args })
    expect(decision.reason).toBe('INPUT_INVALID')
    expect(decision.decision === 'DENY' ? decision.problem?.code : undefined).toBe(
      'INPUT_FORBIDDEN_KEY',
    )
  })
})

describe('oversized and hostile shapes', () => {
  it('a 10 MB argument string is INPUT_TOO_LARGE', async () => {
    const gate = makeGate()
    const text = `{"amount":5,"memo":"${'x'.repeat(10 * 1024 * 1024)}"}`
    const decision = await gate.authorize({ action: 'payments.transfer', args: text })
    expect(decision.decision === 'DENY' ? decision.problem?.code : undefined).toBe(
      'INPUT_TOO_LARGE',
    )
  })

  it('100 000 levels of nesting, as text or as objects, are INPUT_TOO_DEEP without a stack overflow', async () => {
    const gate = makeGate()
    const text = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`
    const fromText = await gate.authorize({ action: 'payments.transfer', args: text })
    expect(fromText.decision === 'DENY' ? fromText.problem?.code : undefined).toBe('INPUT_TOO_DEEP')
    const root: Record<string, unknown> = {}
    let cursor = root
    for (let level = 0; level < 100_000; level++) {
      const next: Record<string, unknown> = {}
      cursor['a'] = next
      cursor = next
    }
    const fromObject = await gate.authorize({ action: 'payments.transfer', args: root })
    expect(fromObject.decision === 'DENY' ? fromObject.problem?.code : undefined).toBe(
      'INPUT_TOO_DEEP',
    )
    await expect(verifyReceipt(fromObject.receipt, gate.verifyKeys())).resolves.toMatchObject({
      claims: { decision: 'DENY', reason: 'INPUT_INVALID', jti: fromObject.claims.jti },
    })
  })

  it('an array that claims billions of elements is refused before it is walked', async () => {
    const gate = makeGate()
    const huge = new Proxy([] as unknown[], {
      get(target, key, receiver) {
        if (key === 'length') return 2 ** 32 - 1
        if (typeof key === 'string' && /^\d+$/.test(key)) return 0
        return Reflect.get(target, key, receiver)
      },
      getOwnPropertyDescriptor(target, key) {
        if (typeof key === 'string' && /^\d+$/.test(key))
          return { value: 0, writable: true, enumerable: true, configurable: true }
        return Reflect.getOwnPropertyDescriptor(target, key)
      },
      has(target, key) {
        return (typeof key === 'string' && /^\d+$/.test(key)) || Reflect.has(target, key)
      },
    })
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args: { amount: 5, list: huge },
    })
    expect(decision.decision === 'DENY' ? decision.problem?.code : undefined).toBe(
      'INPUT_TOO_LARGE',
    )
  })

  it.each([
    ['payments.transfer ', 'trailing space'],
    ['pаyments.transfer', 'Cyrillic a'],
    ['payments\u200b.transfer', 'zero-width space'],
    ['payments.transfer\n', 'trailing newline'],
  ])('a lookalike action name (%s, %s) is INPUT_INVALID', async (action) => {
    const gate = makeGate()
    const decision = await gate.authorize({ action, args: { amount: 5 } })
    expect(decision.decision).toBe('DENY')
    expect(decision.reason).toBe('INPUT_INVALID')
    await expect(verifyReceipt(decision.receipt, gate.verifyKeys())).resolves.toMatchObject({
      claims: { decision: 'DENY', reason: 'INPUT_INVALID', jti: decision.claims.jti },
    })
  })

  it('another case is another action: no rule applies', async () => {
    const gate = makeGate()
    const decision = await gate.authorize({ action: 'Payments.Transfer', args: { amount: 5 } })
    expect(decision.decision).toBe('SILENCE')
  })
})
