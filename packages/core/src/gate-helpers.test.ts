import { type JsonObject, WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { codeOf, rejection } from '../test/support.js'
import { createGate } from './gate.js'
import { guardAction, guardOutcome, wrapAction } from './gate-helpers.js'
import { generateSigningKey } from './keys.js'
import { compilePolicy } from './policy/index.js'
import { refusalOf } from './refusal.js'
import type { ActionRequest, Decision, Gate, PermitDecision } from './types.js'

const policy = compilePolicy(`
writ: 1
id: helpers
rules:
  - id: reads
    effect: permit
    actions: [reports.read, reports.other]
`)

const local = createGate({ policy, keys: generateSigningKey(), issuer: 'https://writ.test' })

/** A gate that answers with whatever `answer` makes of a real decision. */
function remoteLike(
  answer: (decision: Decision, request: ActionRequest) => unknown,
): Pick<Gate, 'authorize'> {
  return {
    authorize: async (request) => answer(await local.authorize(request), request) as Decision,
  }
}

function counter() {
  const calls: unknown[] = []
  return { calls, execute: (args: Readonly<JsonObject>) => calls.push(args) }
}

describe('guardAction on any gate', () => {
  it('accepts a PERMIT that arrived as plain JSON, and hands over a frozen copy', async () => {
    const gate = remoteLike((decision) => JSON.parse(JSON.stringify(decision)))
    const tool = counter()
    await guardAction(gate, { action: 'reports.read', args: { id: 1, tags: ['a'] } }, tool.execute)
    expect(tool.calls).toEqual([{ id: 1, tags: ['a'] }])
    expect(Object.isFrozen(tool.calls[0])).toBe(true)
    expect(Object.isFrozen((tool.calls[0] as { tags: unknown }).tags)).toBe(true)
  })

  it('refuses a PERMIT whose receipt does not bind the arguments handed over', async () => {
    const gate = remoteLike((decision) => ({ ...decision, args: { id: 2 } }))
    const tool = counter()
    const error = await rejection(
      guardAction(gate, { action: 'reports.read', args: { id: 1 } }, tool.execute),
    )
    expect(codeOf(error)).toBe('ARGS_MISMATCH')
    expect(tool.calls).toHaveLength(0)
  })

  it('refuses a PERMIT for another action', async () => {
    const gate = remoteLike(async (_, request) =>
      local.authorize({ ...request, action: 'reports.other' }),
    )
    const tool = counter()
    const error = await rejection(
      guardAction(gate, { action: 'reports.read', args: {} }, tool.execute),
    )
    expect(codeOf(error)).toBe('ACTION_MISMATCH')
    expect(tool.calls).toHaveLength(0)
  })

  it('refuses a PERMIT bound to another HTTP request or audience than the one asked for', async () => {
    const body = new TextEncoder().encode('{"page":2}')
    const httpRequest = {
      method: 'POST',
      uri: 'https://reports.example/r/1?page=2',
      contentType: 'application/json',
      body,
    }
    const asked: ActionRequest = {
      action: 'reports.read',
      audience: 'https://reports.example',
      httpRequest,
    }
    const cases: Array<[string, (request: ActionRequest) => ActionRequest]> = [
      [
        'ARGS_MISMATCH',
        (request) => ({
          ...request,
          httpRequest: { ...httpRequest, uri: 'https://reports.example/r/1?page=3' },
        }),
      ],
      [
        'ARGS_MISMATCH',
        (request) => ({ ...request, httpRequest: { ...httpRequest, method: 'PUT' } }),
      ],
      ['AUDIENCE_MISMATCH', (request) => ({ ...request, audience: 'https://other.example' })],
      ['AUDIENCE_MISMATCH', ({ audience: _audience, ...request }) => request],
      [
        'ARGS_MISMATCH',
        ({ httpRequest: _http, ...request }) => ({ ...request, args: { page: 2 } }),
      ],
    ]
    for (const [code, swap] of cases) {
      const gate = remoteLike(async (_, request) => local.authorize(swap(request)))
      const tool = counter()
      expect(codeOf(await rejection(guardAction(gate, asked, tool.execute)))).toBe(code)
      expect(tool.calls).toHaveLength(0)
    }
    const honest = counter()
    await guardAction(local, asked, honest.execute)
    expect(honest.calls).toHaveLength(1)
  })

  it('refuses a PERMIT whose claims say something else', async () => {
    const gate = remoteLike((decision) => ({
      ...decision,
      claims: { ...decision.claims, decision: 'DENY' },
    }))
    const tool = counter()
    expect(
      codeOf(
        await rejection(guardAction(gate, { action: 'reports.read', args: {} }, tool.execute)),
      ),
    ).toBe('NOT_PERMIT')
    expect(tool.calls).toHaveLength(0)
  })

  it.each([
    ['nothing', undefined],
    ['null', null],
    ['an unknown decision', { decision: 'MAYBE' }],
  ])('refuses a gate that answers %s', async (_, answer) => {
    const tool = counter()
    const gate = { authorize: async () => answer as unknown as Decision }
    expect(
      codeOf(
        await rejection(guardAction(gate, { action: 'reports.read', args: {} }, tool.execute)),
      ),
    ).toBe('GATE_ERROR')
    expect(tool.calls).toHaveLength(0)
  })

  it('keeps a gate WritError code, and turns any other failure into GATE_ERROR', async () => {
    const tool = counter()
    const unavailable = {
      authorize: async (): Promise<Decision> => {
        throw new WritError('AUTHORITY_UNAVAILABLE', 'down')
      },
    }
    const broken = {
      authorize: async (): Promise<Decision> => {
        throw new TypeError('bug')
      },
    }
    expect(
      codeOf(
        await rejection(
          guardAction(unavailable, { action: 'reports.read', args: {} }, tool.execute),
        ),
      ),
    ).toBe('AUTHORITY_UNAVAILABLE')
    const error = await rejection(
      guardAction(broken, { action: 'reports.read', args: {} }, tool.execute),
    )
    expect(codeOf(error)).toBe('GATE_ERROR')
    expect((error as Error).cause).toBeInstanceOf(TypeError)
    expect(tool.calls).toHaveLength(0)
  })

  it('lets an error of execute itself through unchanged, after one call', async () => {
    let calls = 0
    const failure = new Error('tool failed')
    const error = await rejection(
      guardAction(local, { action: 'reports.read', args: {} }, () => {
        calls += 1
        throw failure
      }),
    )
    expect(error).toBe(failure)
    expect(calls).toBe(1)
  })

  it('wraps a function for any gate, passing agent, audience and context', async () => {
    const seen: PermitDecision[] = []
    const read = wrapAction(
      local,
      'reports.read',
      (args: Readonly<{ id: number }>, decision) => {
        seen.push(decision)
        return args.id * 2
      },
      { agent: 'reporter', audience: 'reports-api', context: { tenant: 'acme' } },
    )
    expect(await read({ id: 21 })).toBe(42)
    expect(seen[0]?.claims).toMatchObject({ sub: 'reporter', aud: 'reports-api' })
    const refuse = wrapAction(local, 'reports.write', () => 'never')
    expect(refusalOf(await rejection(refuse({})))).toMatchObject({ decision: 'SILENCE' })
  })
})

describe('guardOutcome', () => {
  it("runs on PERMIT, refuses (never runs) on every failure before the action, rethrows the action's own error", async () => {
    const tool = counter()
    expect(
      await guardOutcome(local, { action: 'reports.read', args: { id: 1 } }, tool.execute),
    ).toEqual({
      executed: true,
      value: 1,
    })
    const silence = await guardOutcome(local, { action: 'reports.write', args: {} }, tool.execute)
    expect(silence.executed).toBe(false)
    if (!silence.executed) expect(silence.refusal.decision).toBe('SILENCE')
    const unbuildable = await guardOutcome(
      local,
      () => {
        throw new Error('bad mapping')
      },
      tool.execute,
    )
    expect(unbuildable.executed).toBe(false)
    if (!unbuildable.executed) expect(unbuildable.refusal.reason).toBe('GATE_ERROR')
    const checked = await guardOutcome(
      local,
      { action: 'reports.read', args: {} },
      tool.execute,
      () => {
        throw new WritError('ARGS_MISMATCH', 'the tool would change them')
      },
    )
    expect(checked.executed).toBe(false)
    if (!checked.executed) expect(checked.refusal.reason).toBe('ARGS_MISMATCH')
    expect(tool.calls).toHaveLength(1)
    const failing = guardOutcome(local, { action: 'reports.read', args: {} }, () => {
      throw new TypeError('the tool broke')
    })
    await expect(failing).rejects.toBeInstanceOf(TypeError)
  })
})
