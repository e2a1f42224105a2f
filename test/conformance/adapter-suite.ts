/**
 * The conformance suite every Writ adapter runs (openai, langchain, fetch).
 *
 * An adapter supplies a harness that pushes one proposed tool call through the
 * framework it adapts, backed by a real gate, and reports what the model (or the
 * caller) got back. The suite then checks the promises Writ makes to its users:
 * a refused call never runs, the refusal is readable and names its receipt, and
 * a permitted call runs exactly once with exactly the arguments its receipt binds.
 */
import {
  type ActionRequest,
  compilePolicy,
  createGate,
  createMemoryStore,
  type Decision,
  type Gate,
  generateSigningKey,
  guardAction,
  wrapAction,
} from '@writ/core'
import { canonicalArgs, createKeySet, type JsonObject, verifyReceipt } from '@writ/verify'
import { describe, expect, it } from 'vitest'

/** One tool call pushed through an adapter. */
export interface HarnessCall {
  /** The gate the adapter must use. */
  readonly gate: Gate
  /** Tool / action name, e.g. `payments.transfer` (adapters may map names; see `toolName`). */
  readonly action: string
  /** The arguments exactly as the model produced them: raw JSON text. */
  readonly argsText: string
  /** The real tool body. The harness must wire it as the tool's implementation. */
  readonly execute: (args: unknown) => unknown
}

/** What the model or caller received for that call. */
export interface HarnessOutcome {
  /** True when the adapter refused (the tool did not run). */
  readonly refused: boolean
  /** The text the model (or caller) sees: tool output, ToolMessage content, response body. */
  readonly text: string
}

/** What an adapter provides to run the suite. */
export interface AdapterHarness {
  run(call: HarnessCall): Promise<HarnessOutcome>
  /** Release servers or clients after the suite. */
  close?(): Promise<void>
}

const policyText = `
writ: 1
id: conformance
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: no-sanctioned
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
`

interface Recorder {
  calls: unknown[]
  execute: (args: unknown) => unknown
}

function recorder(): Recorder {
  const calls: unknown[] = []
  return {
    calls,
    execute(args) {
      calls.push(structuredClone(args))
      return { ok: true, echoed: args }
    },
  }
}

function newGate(store = createMemoryStore(), timeoutMs?: number) {
  return createGate({
    policy: compilePolicy(policyText, { source: 'conformance.yaml' }),
    keys: generateSigningKey(),
    issuer: 'https://writ.test',
    store,
    defaultAgent: 'agent-under-test',
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  })
}

/** A gate whose every decision is recorded, so the suite can read the receipts it issued. */
function recordingGate(inner: Gate): Gate & { decisions: Decision[] } {
  const decisions: Decision[] = []
  const gate: Gate & { decisions: Decision[] } = {
    decisions,
    async authorize(request: ActionRequest) {
      const decision = await inner.authorize(request)
      decisions.push(decision)
      return decision
    },
    guard: (request, execute) => guardAction(gate, request, execute),
    wrap: (name, fn, options) => wrapAction(gate, name, fn, options),
    keys: () => inner.keys(),
  }
  return gate
}

/**
 * Registers the shared adapter conformance tests.
 *
 * @param name the adapter under test, for test titles
 * @param makeHarness builds a fresh harness (servers, clients) for the suite
 */
export function describeAdapterConformance(
  name: string,
  makeHarness: () => Promise<AdapterHarness>,
): void {
  describe(`${name}: adapter conformance`, () => {
    it('runs a permitted call exactly once with exactly the arguments the receipt binds', async () => {
      const harness = await makeHarness()
      try {
        const local = newGate()
        const gate = recordingGate(local)
        const tool = recorder()
        const outcome = await harness.run({
          gate,
          action: 'payments.transfer',
          argsText: '{"to":"alice","amount":250.0,"memo":"rent"}',
          execute: tool.execute,
        })
        expect(outcome.refused).toBe(false)
        expect(tool.calls).toHaveLength(1)
        expect(tool.calls[0]).toEqual({ to: 'alice', amount: 250, memo: 'rent' })
        const permits = gate.decisions.filter((decision) => decision.decision === 'PERMIT')
        expect(permits).toHaveLength(1)
        const permit = permits[0]!
        const verified = await verifyReceipt(permit.receipt, createKeySet(await gate.keys()))
        expect(verified.claims.decision).toBe('PERMIT')
        expect(verified.claims.act.name).toBe('payments.transfer')
        expect(verified.claims.act.args).toBe(canonicalArgs(tool.calls[0] as JsonObject).digest)
      } finally {
        await harness.close?.()
      }
    })

    it('never runs a denied call, and the refusal is readable and names its receipt', async () => {
      const harness = await makeHarness()
      try {
        const gate = recordingGate(newGate())
        const tool = recorder()
        const outcome = await harness.run({
          gate,
          action: 'payments.transfer',
          argsText: '{"to":"mallory","amount":10}',
          execute: tool.execute,
        })
        expect(tool.calls).toHaveLength(0)
        expect(outcome.refused).toBe(true)
        const deny = gate.decisions.at(-1)!
        expect(deny.decision).toBe('DENY')
        expect(deny.reason).toBe('SANCTIONED_PAYEE')
        expect(outcome.text).toContain('DENY')
        expect(outcome.text).toContain('SANCTIONED_PAYEE')
        expect(outcome.text).toContain(deny.claims.jti)
      } finally {
        await harness.close?.()
      }
    })

    it('treats SILENCE as a refusal', async () => {
      const harness = await makeHarness()
      try {
        const gate = recordingGate(newGate())
        const tool = recorder()
        const outcome = await harness.run({
          gate,
          action: 'payments.transfer',
          argsText: '{"to":"alice","amount":5000}',
          execute: tool.execute,
        })
        expect(tool.calls).toHaveLength(0)
        expect(outcome.refused).toBe(true)
        const silence = gate.decisions.at(-1)!
        expect(silence.decision).toBe('SILENCE')
        expect(outcome.text).toContain('SILENCE')
        expect(outcome.text).toContain(silence.claims.jti)
      } finally {
        await harness.close?.()
      }
    })

    it('refuses arguments that are not I-JSON (duplicate keys) without running the tool', async () => {
      const harness = await makeHarness()
      try {
        const gate = recordingGate(newGate())
        const tool = recorder()
        const outcome = await harness.run({
          gate,
          action: 'payments.transfer',
          argsText: '{"to":"alice","amount":10,"amount":100000}',
          execute: tool.execute,
        })
        expect(tool.calls).toHaveLength(0)
        expect(outcome.refused).toBe(true)
        expect(outcome.text).toContain('INPUT_INVALID')
      } finally {
        await harness.close?.()
      }
    })

    it('refuses when the gate throws', async () => {
      const harness = await makeHarness()
      try {
        const broken: Gate = {
          authorize: async () => {
            throw new Error('authority exploded')
          },
          guard: async () => {
            throw new Error('authority exploded')
          },
          wrap: () => async () => {
            throw new Error('authority exploded')
          },
          keys: async () => ({ keys: [] }),
        }
        const tool = recorder()
        const outcome = await harness.run({
          gate: broken,
          action: 'payments.transfer',
          argsText: '{"to":"alice","amount":10}',
          execute: tool.execute,
        })
        expect(tool.calls).toHaveLength(0)
        expect(outcome.refused).toBe(true)
      } finally {
        await harness.close?.()
      }
    })

    it('refuses when the gate times out', async () => {
      const harness = await makeHarness()
      try {
        const store = createMemoryStore()
        const stalled = new Proxy(store, {
          get(target, property, receiver) {
            if (property === 'append') return () => new Promise(() => {})
            return Reflect.get(target, property, receiver)
          },
        })
        const gate = newGate(stalled, 100)
        const tool = recorder()
        const outcome = await harness.run({
          gate,
          action: 'payments.transfer',
          argsText: '{"to":"alice","amount":10}',
          execute: tool.execute,
        })
        expect(tool.calls).toHaveLength(0)
        expect(outcome.refused).toBe(true)
      } finally {
        await harness.close?.()
      }
    })
  })
}
