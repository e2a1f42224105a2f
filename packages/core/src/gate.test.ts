import {
  canonicalArgs,
  createKeySet,
  digestOf,
  type JsonObject,
  type ReceiptClaims,
  verifyChain,
  verifyCheckpoint,
  verifyPermit,
  verifyReceipt,
  WritError,
} from '@writ/verify'
import { bestEffortDigest } from '@writ/verify/internal'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { describe, expect, it, vi } from 'vitest'
import { codeOf, rejection } from '../test/support.js'
import { escapeActionName } from './action-name-escape.js'
import { createGate, type GateOptions } from './gate.js'
import { createKeyRing } from './key-ring.js'
import { generateSigningKey } from './keys.js'
import { createMemoryStore } from './memory-store.js'
import { type CompiledPolicy, compilePolicy } from './policy/index.js'
import { refusalOf } from './refusal.js'
import {
  createPaymentsGate,
  paymentsIssuer,
  paymentsPolicyTextWith,
} from './testing/payments-fixture.js'
import type { ActionRequest, Decision, Store } from './types.js'

const policy = compilePolicy(paymentsPolicyTextWith({ dailySpendLimit: 1000 }), {
  source: 'payments.yaml',
})
const issuer = paymentsIssuer

function newGate(overrides: Partial<GateOptions> = {}) {
  return createPaymentsGate({ policy, ...overrides })
}

async function verified(
  gate: ReturnType<typeof newGate>,
  decision: Decision,
): Promise<ReceiptClaims> {
  const result = await verifyReceipt(decision.receipt, createKeySet(await gate.keys()))
  expect(result.claims).toEqual(decision.claims)
  return result.claims
}

/** A tool body that counts its calls and keeps a copy of what it received. */
function tool() {
  const calls: unknown[] = []
  return {
    calls,
    execute: (args: Readonly<JsonObject>) => {
      calls.push(structuredClone(args))
      return 'done'
    },
  }
}

describe('gate: decisions and their receipts', () => {
  it('issues a PERMIT whose receipt verifies and whose claims match the spec', async () => {
    const now = 1_750_000_000_123
    const gate = newGate({ clock: () => now })
    const args = '{"to":"alice","amount":250.0,"memo":"rent"}'
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args,
      request: 'req-1',
      audience: 'bank',
    })
    expect(decision.decision).toBe('PERMIT')
    const claims = await verified(gate, decision)
    expect(claims).toEqual({
      v: 1,
      iss: issuer,
      jti: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ),
      iat: 1_750_000_000,
      exp: 1_750_000_300,
      sub: 'agent-7',
      aud: 'bank',
      req: 'req-1',
      decision: 'PERMIT',
      reason: 'RULE_PERMIT',
      rule: 'small-transfers',
      policy: { id: 'payments', digest: policy.digest },
      act: { name: 'payments.transfer', args: canonicalArgs(args).digest },
      chain: { id: 'main', seq: 0, prev: null },
    })
    if (decision.decision !== 'PERMIT') throw new Error('unreachable')
    expect(decision.args).toEqual({ to: 'alice', amount: 250, memo: 'rent' })
    expect(Object.isFrozen(decision.args)).toBe(true)
    expect(canonicalArgs(decision.args).digest).toBe(claims.act.args)
  })

  it('treats 250 and 250.0 as the same arguments', async () => {
    const gate = newGate()
    const a = await gate.authorize({
      action: 'payments.transfer',
      args: '{"to":"bob","amount":250}',
    })
    const b = await gate.authorize({
      action: 'payments.transfer',
      args: '{"amount":250.0,"to":"bob"}',
    })
    expect(a.claims.act.args).toBe(b.claims.act.args)
    expect([a.decision, b.decision]).toEqual(['PERMIT', 'PERMIT'])
  })

  it('issues DENY and SILENCE receipts that verify, with exp too', async () => {
    const gate = newGate({ ttlSeconds: 60 })
    const deny = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'mallory', amount: 5 },
      agent: 'bot',
    })
    expect(deny).toMatchObject({
      decision: 'DENY',
      reason: 'SANCTIONED_PAYEE',
      rule: 'no-sanctioned',
    })
    const denyClaims = await verified(gate, deny)
    expect(denyClaims.exp - denyClaims.iat).toBe(60)
    expect(denyClaims.sub).toBe('bot')

    const falseCondition = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'alice', amount: 5000 },
    })
    expect(falseCondition).toMatchObject({
      decision: 'SILENCE',
      reason: 'CONDITION_FALSE',
      rule: null,
    })
    await verified(gate, falseCondition)

    const noRule = await gate.authorize({ action: 'files.delete', args: {} })
    expect(noRule).toMatchObject({ decision: 'SILENCE', reason: 'NO_APPLICABLE_RULE', rule: null })
    const silenceClaims = await verified(gate, noRule)
    expect(silenceClaims.exp - silenceClaims.iat).toBe(60)
  })

  it('turns a policy that throws into DENY EVAL_ERROR, never PERMIT', async () => {
    const throwing: CompiledPolicy = {
      ...policy,
      evaluate: () => {
        throw new Error('evaluator exploded')
      },
    }
    const malformed: CompiledPolicy = {
      ...policy,
      evaluate: () => ({ decision: 'PERMIT', reason: 'RULE_PERMIT', rule: 'x' }) as never,
    }
    for (const broken of [throwing, malformed]) {
      const gate = newGate({ policy: broken })
      const counter = tool()
      const decision = await gate.authorize({ action: 'reports.read', args: {} })
      expect(decision).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: null })
      await verified(gate, decision)
      const error = await rejection(
        gate.guard({ action: 'reports.read', args: {} }, counter.execute),
      )
      expect(codeOf(error)).toBe('ACTION_REFUSED')
      expect(refusalOf(error)?.reason).toBe('EVAL_ERROR')
      expect(counter.calls).toHaveLength(0)
    }
  })

  it('reports a condition that fails to evaluate as DENY EVAL_ERROR', async () => {
    const gate = newGate()
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'alice', amount: 'lots' },
    })
    expect(decision.decision).toBe('DENY')
    expect(decision.reason).toBe('EVAL_ERROR')
    await verified(gate, decision)
  })

  it('enforces limits: DENY with the limit reason and id, and only PERMITs reserve', async () => {
    const gate = newGate()
    const transfer = (amount: number) =>
      gate.authorize({ action: 'payments.transfer', args: { to: 'alice', amount } })
    expect((await transfer(600)).decision).toBe('PERMIT')
    const over = await transfer(600)
    expect(over).toMatchObject({ decision: 'DENY', reason: 'DAILY_SPEND', rule: 'daily-spend' })
    await verified(gate, over)
    // Refusals reserve nothing: 400 still fits.
    expect((await transfer(5000)).decision).toBe('SILENCE')
    expect((await transfer(400)).decision).toBe('PERMIT')
    expect((await transfer(1)).decision).toBe('DENY')
    // Another agent has its own window.
    const other = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'alice', amount: 1000 },
      agent: 'other',
    })
    expect(other.decision).toBe('PERMIT')
  })

  it('enforces limits exactly under concurrency', async () => {
    const gate = newGate()
    const decisions = await Promise.all(
      Array.from({ length: 40 }, () =>
        gate.authorize({ action: 'payments.transfer', args: { to: 'alice', amount: 100 } }),
      ),
    )
    expect(decisions.filter((decision) => decision.decision === 'PERMIT')).toHaveLength(10)
    const seqs = decisions.map((decision) => decision.claims.chain.seq).sort((a, b) => a - b)
    expect(seqs).toEqual(Array.from({ length: 40 }, (_, index) => index))
  })

  it('swaps the policy atomically with setPolicy', async () => {
    const gate = newGate()
    const before = await gate.authorize({ action: 'reports.read', args: {} })
    const stricter = compilePolicy('writ: 1\nid: locked\nrules: []\n')
    gate.setPolicy(stricter)
    const after = await gate.authorize({ action: 'reports.read', args: {} })
    expect(before.decision).toBe('PERMIT')
    expect(after.decision).toBe('SILENCE')
    expect(after.claims.policy).toEqual({ id: 'locked', digest: stricter.digest })
    expect(gate.policy).toBe(stricter)
  })

  it("derives an HTTP action's arguments and binding from the request itself", async () => {
    const gate = newGate()
    const body = new TextEncoder().encode('{"amount":5}')
    const decision = await gate.authorize({
      action: 'reports.read',
      httpRequest: {
        method: 'POST',
        uri: 'https://Bank.test/transfers?dry=0',
        contentType: 'application/json',
        body,
      },
    })
    expect(decision.claims.http).toEqual({
      method: 'POST',
      uri: 'https://bank.test/transfers?dry=0',
      body: digestOf(body),
    })
    await verified(gate, decision)
  })

  it('refuses an HTTP action that also sends args, and an unreadable request', async () => {
    const gate = newGate()
    const both = await gate.authorize({
      action: 'reports.read',
      args: {},
      httpRequest: { method: 'GET', uri: 'https://bank.test/' },
    })
    expect([both.decision, both.reason]).toEqual(['DENY', 'INPUT_INVALID'])
    const argsOnly = await gate.authorize({ action: 'http.post', args: { path: '/v1/transfers' } })
    expect(argsOnly.decision === 'DENY' && argsOnly.problem?.path).toBe('httpRequest')
    const ambiguous = await gate.authorize({
      action: 'reports.read',
      httpRequest: { method: 'GET', uri: 'https://bank.test/v1%2Fadmin' },
    })
    expect([ambiguous.decision, ambiguous.reason]).toEqual(['DENY', 'INPUT_INVALID'])
    expect(ambiguous.decision === 'DENY' && ambiguous.problem?.code).toBe('HTTP_REQUEST_AMBIGUOUS')
    expect(ambiguous.claims.http).toBeUndefined()
  })
})

describe('gate: receipts verify with a stock JOSE library', () => {
  it('jose jwtVerify accepts every decision with typ pinned', async () => {
    const gate = newGate()
    const jwks = createLocalJWKSet(
      (await gate.keys()) as unknown as Parameters<typeof createLocalJWKSet>[0],
    )
    const decisions = [
      await gate.authorize({ action: 'payments.transfer', args: { to: 'alice', amount: 5 } }),
      await gate.authorize({ action: 'payments.transfer', args: { to: 'mallory', amount: 5 } }),
      await gate.authorize({ action: 'nothing.here', args: {} }),
      await gate.authorize({ action: 'payments.transfer', args: '{"a":1,"a":2}' }),
    ]
    for (const decision of decisions) {
      const { payload, protectedHeader } = await jwtVerify(decision.receipt, jwks, {
        typ: 'writ-receipt+jwt',
        algorithms: ['EdDSA'],
        issuer,
      })
      expect(protectedHeader).toEqual({
        alg: 'EdDSA',
        typ: 'writ-receipt+jwt',
        kid: gate.keyRing.active.kid,
      })
      expect(payload).toEqual(decision.claims)
    }
  })
})

describe('gate: refused input', () => {
  const deep = `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`
  const large = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) })
  const cases: [string, unknown, string][] = [
    ['INPUT_SYNTAX', '{"to":', 'payments.transfer'],
    ['INPUT_NOT_OBJECT', '[1,2]', 'payments.transfer'],
    ['INPUT_DUPLICATE_KEY', '{"to":"alice","amount":10,"amount":100000}', 'payments.transfer'],
    ['INPUT_FORBIDDEN_KEY', '{"__proto__":{"admin":true}}', 'payments.transfer'],
    ['INPUT_FORBIDDEN_KEY', '{"nested":{"constructor":1}}', 'payments.transfer'],
    ['INPUT_LONE_SURROGATE', '{"to":"\\ud800"}', 'payments.transfer'],
    ['INPUT_NON_FINITE_NUMBER', { amount: Number.NaN }, 'payments.transfer'],
    ['INPUT_NON_FINITE_NUMBER', { amount: Number.POSITIVE_INFINITY }, 'payments.transfer'],
    ['INPUT_UNSAFE_INTEGER', '{"amount":9007199254740993}', 'payments.transfer'],
    ['INPUT_UNSUPPORTED_TYPE', { amount: 10n }, 'payments.transfer'],
    ['INPUT_UNSUPPORTED_TYPE', { when: new Date(0) }, 'payments.transfer'],
    ['INPUT_TOO_DEEP', deep, 'payments.transfer'],
    ['INPUT_TOO_LARGE', large, 'payments.transfer'],
    ['ACTION_NAME_INVALID', '{}', 'payments transfer'],
    ['ACTION_NAME_INVALID', '{}', ''],
    ['ACTION_NAME_INVALID', '{}', 'a'.repeat(129)],
    ['ACTION_NAME_INVALID', '{}', 'paiement.é'],
  ]

  it.each(cases)(
    '%s: a DENY INPUT_INVALID receipt and zero executions',
    async (code, args, action) => {
      const gate = newGate()
      const counter = tool()
      const request = { action, args } as ActionRequest
      const error = await rejection(gate.guard(request, counter.execute))
      expect(counter.calls).toHaveLength(0)
      expect(codeOf(error)).toBe('ACTION_REFUSED')
      const refusal = refusalOf(error)!
      expect(refusal).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID', rule: null })
      expect(refusal.problem?.code).toBe(code)
      const claims = await verified(gate, refusal)
      expect(claims.act.args).toBe(
        typeof args === 'string' ? digestOf(args) : bestEffortDigest(args),
      )
      const printable = action.length >= 1 && action.length <= 128 && /^[\x20-\x7e]+$/.test(action)
      expect(claims.act.name).toBe(printable ? action : escapeActionName(action))
    },
  )

  it('refuses a context, agent or request id that is not valid', async () => {
    const gate = newGate()
    const requests = [
      {
        action: 'reports.read',
        args: {},
        context: { __proto__: null, constructor: 1 } as unknown as JsonObject,
      },
      { action: 'reports.read', args: {}, agent: 42 as unknown as string },
      { action: 'reports.read', args: {}, request: '' },
      // The binding of an HTTP action is never taken from the caller (spec section 10).
      {
        action: 'reports.read',
        args: {},
        http: { method: 'POST', uri: 'https://x.test/', body: `sha256:${'0'.repeat(64)}` },
      } as ActionRequest,
      {
        action: 'http.post',
        httpRequest: { method: 'POST', uri: 'https://x.test/', body: 'not bytes' as never },
      },
    ]
    for (const request of requests) {
      const decision = await gate.authorize(request)
      expect(decision).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
      await verified(gate, decision)
    }
    const nonsense = await gate.authorize(null as unknown as ActionRequest)
    expect(nonsense).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(nonsense.claims.act.name).toBe('(non-string: undefined)')
  })
})

describe('gate: guard', () => {
  it('runs execute exactly once on PERMIT, with frozen args equal to what the receipt binds', async () => {
    const gate = newGate()
    const counter = tool()
    const seen: { args: unknown; receipt: string }[] = []
    const result = await gate.guard(
      { action: 'payments.transfer', args: { to: 'alice', amount: 10 } },
      (args, decision) => {
        seen.push({ args, receipt: decision.receipt })
        expect(Object.isFrozen(args)).toBe(true)
        expect(canonicalArgs(args).digest).toBe(decision.claims.act.args)
        return counter.execute(args)
      },
    )
    expect(result).toBe('done')
    expect(counter.calls).toEqual([{ to: 'alice', amount: 10 }])
  })

  it('is not fooled by a caller that mutates its object during or after the call', async () => {
    const gate = newGate()
    const args: Record<string, unknown> = { to: 'alice', amount: 10 }
    const counter = tool()
    const pending = gate.guard(
      { action: 'payments.transfer', args },
      async (received, decision) => {
        args['amount'] = 999_999
        args['to'] = 'mallory'
        expect(canonicalArgs(received).digest).toBe(decision.claims.act.args)
        return counter.execute(received)
      },
    )
    args['amount'] = 500_000
    await pending
    args['amount'] = 700_000
    expect(counter.calls).toEqual([{ to: 'alice', amount: 10 }])
  })

  it('wraps a function so that every call is gated', async () => {
    const gate = newGate()
    const counter = tool()
    const transfer = gate.wrap('payments.transfer', counter.execute, { agent: 'wrapped-agent' })
    await expect(transfer({ to: 'alice', amount: 3 })).resolves.toBe('done')
    const error = await rejection(transfer({ to: 'mallory', amount: 3 }))
    expect(refusalOf(error)?.claims.sub).toBe('wrapped-agent')
    expect(counter.calls).toHaveLength(1)
  })

  it('never runs on SILENCE', async () => {
    const gate = newGate()
    const counter = tool()
    const error = await rejection(
      gate.guard(
        { action: 'payments.transfer', args: { to: 'alice', amount: 5000 } },
        counter.execute,
      ),
    )
    expect(refusalOf(error)?.decision).toBe('SILENCE')
    expect(counter.calls).toHaveLength(0)
  })
})

describe('gate: failures fail closed', () => {
  function storeWith(append: Store['append']): Store {
    const store = createMemoryStore()
    return { ...store, append, replay: store.replay }
  }

  it('rejects with GATE_TIMEOUT when the store never answers, and never executes', async () => {
    // A fake clock for timers: the deadline passes when the test says so, not after a wait.
    vi.useFakeTimers()
    try {
      const gate = newGate({ store: storeWith(() => new Promise(() => {})), timeoutMs: 50 })
      const counter = tool()
      const pending = rejection(gate.guard({ action: 'reports.read', args: {} }, counter.execute))
      await vi.advanceTimersByTimeAsync(50)
      expect(codeOf(await pending)).toBe('GATE_TIMEOUT')
      expect(counter.calls).toHaveLength(0)
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects with the store error, or GATE_ERROR, when the store fails', async () => {
    const unavailable = newGate({
      store: storeWith(async () => {
        throw new WritError('STORE_UNAVAILABLE', 'disk gone')
      }),
    })
    const exploding = newGate({
      store: storeWith(() => {
        throw new Error('synchronous explosion')
      }),
    })
    const counter = tool()
    expect(
      codeOf(await rejection(unavailable.authorize({ action: 'reports.read', args: {} }))),
    ).toBe('STORE_UNAVAILABLE')
    expect(
      codeOf(
        await rejection(unavailable.guard({ action: 'reports.read', args: {} }, counter.execute)),
      ),
    ).toBe('STORE_UNAVAILABLE')
    expect(
      codeOf(
        await rejection(exploding.guard({ action: 'reports.read', args: {} }, counter.execute)),
      ),
    ).toBe('GATE_ERROR')
    expect(counter.calls).toHaveLength(0)
  })

  it('does not hand out a PERMIT the store did not keep', async () => {
    const store = createMemoryStore()
    const forging = storeWith(async (chainId, options, issue) => {
      await store.append(chainId, options, issue)
      throw new WritError('STORE_FULL', 'disk full after write')
    })
    const gate = newGate({ store: forging })
    expect(codeOf(await rejection(gate.authorize({ action: 'reports.read', args: {} })))).toBe(
      'STORE_FULL',
    )
  })

  it('refuses to sign with an active key outside its validity window (KEY_INVALID)', async () => {
    const expired = generateSigningKey({ exp: 1_600_000_000 })
    const gate = newGate({ keys: expired, clock: () => 1_700_000_000_000 })
    const counter = tool()
    const error = await rejection(gate.guard({ action: 'reports.read', args: {} }, counter.execute))
    expect(codeOf(error)).toBe('KEY_INVALID')
    expect(counter.calls).toHaveLength(0)
    expect((await gate.store.head('main')).seq).toBe(0)
  })

  it('names a fresh request id and the default agent when the request has none', async () => {
    const gate = newGate()
    const first = await gate.authorize({ action: 'reports.read', args: {} })
    const second = await gate.authorize({ action: 'reports.read', args: {} })
    expect(first.claims.sub).toBe('agent-7')
    expect(first.claims.req).not.toBe(second.claims.req)
    expect(first.claims.jti < second.claims.jti).toBe(true)
    expect(first.claims).not.toHaveProperty('aud')
    expect(first.claims).not.toHaveProperty('http')
  })

  it('refuses bad configuration', () => {
    const key = generateSigningKey()
    expect(() => createGate({ policy, keys: key, issuer, ttlSeconds: 301 })).toThrow(WritError)
    expect(() => createGate({ policy, keys: key, issuer: '' })).toThrow(WritError)
    expect(() => createGate({ policy: {} as CompiledPolicy, keys: key, issuer })).toThrow(WritError)
    let caught: unknown
    try {
      createGate({ policy, keys: undefined as never, issuer })
    } catch (error) {
      caught = error
    }
    expect(codeOf(caught)).toBe('KEY_MISSING')
  })
})

describe('gate: keys and chains', () => {
  it('keeps old receipts verifying after rotation (key retired) and refuses revoked keys', async () => {
    const ring = createKeyRing(generateSigningKey())
    const gate = newGate({ keys: ring })
    const before = await gate.authorize({ action: 'reports.read', args: {} })
    const oldKid = ring.active.kid
    ring.rotate()
    const after = await gate.authorize({ action: 'reports.read', args: {} })
    expect(after.receipt.split('.')[0]).not.toBe(before.receipt.split('.')[0])
    const keys = await gate.keys()
    expect(keys.keys.find((key) => key.kid === oldKid)?.status).toBe('retired')
    await verified(gate, before)
    await verified(gate, after)
    ring.revoke(oldKid)
    const error = await rejection(verifyReceipt(before.receipt, createKeySet(await gate.keys())))
    expect(codeOf(error)).toBe('KEY_REVOKED')
    await verified(gate, after)
  })

  it('builds a chain that verifies against a checkpoint, and a gap is named', async () => {
    const gate = newGate({ chainId: 'instance-1' })
    for (let index = 0; index < 6; index += 1) {
      await gate.authorize({
        action: index % 2 === 0 ? 'reports.read' : 'files.delete',
        args: { index },
      })
    }
    const checkpoint = await gate.checkpoint()
    expect(checkpoint).toMatchObject({ chainId: 'instance-1', size: 6 })
    expect(await gate.store.latestCheckpoint('instance-1')).toEqual(checkpoint)
    const verifiedCheckpoint = await verifyCheckpoint(checkpoint.token, gate.verifyKeys())
    expect(verifiedCheckpoint.claims).toEqual({
      v: 1,
      iss: issuer,
      chain: 'instance-1',
      size: 6,
      head: checkpoint.head,
      iat: checkpoint.iat,
    })
    const tokens: string[] = []
    for await (const receipt of gate.store.receipts('instance-1')) tokens.push(receipt.token)
    const report = await verifyChain(tokens, gate.verifyKeys(), { checkpoints: [checkpoint.token] })
    expect(report).toMatchObject({ valid: true, size: 6, head: checkpoint.head })
    const gap = await verifyChain(
      tokens.filter((_, index) => index !== 2),
      gate.verifyKeys(),
      { checkpoints: [checkpoint.token] },
    )
    expect(gap).toMatchObject({ valid: false, code: 'CHAIN_GAP', seq: 2 })
  })

  it('checkpoints an empty chain', async () => {
    const gate = newGate()
    const checkpoint = await gate.checkpoint()
    expect(checkpoint).toMatchObject({ size: 0, head: null })
    await verifyCheckpoint(checkpoint.token, gate.verifyKeys())
  })

  it('issues PERMITs that a receiving service accepts once, for exactly these arguments', async () => {
    const gate = newGate()
    const decision = await gate.authorize({
      action: 'reports.read',
      args: '{"id":7}',
      audience: 'reports-api',
    })
    const replay = gate.store.replay
    const expectation = { action: 'reports.read', args: { id: 7 }, audience: 'reports-api', replay }
    await verifyPermit(decision.receipt, gate.verifyKeys(), expectation)
    expect(
      codeOf(await rejection(verifyPermit(decision.receipt, gate.verifyKeys(), expectation))),
    ).toBe('REPLAYED')
    const other = await gate.authorize({
      action: 'reports.read',
      args: '{"id":7}',
      audience: 'reports-api',
    })
    expect(
      codeOf(
        await rejection(
          verifyPermit(other.receipt, gate.verifyKeys(), { ...expectation, args: { id: 8 } }),
        ),
      ),
    ).toBe('ARGS_MISMATCH')
  })
})
