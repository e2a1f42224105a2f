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
  approvalClaimsFor,
  compilePolicy,
  createGate,
  createMemoryStore,
  type Decision,
  type Gate,
  generateSigningKey,
  guardAction,
  type LocalGate,
  type PermitDecision,
  parseApprovers,
  signApproval,
  wrapAction,
} from '@writ/core'
import { canonicalArgs, createKeySet, verifyReceipt } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SOFTHSM_MODULE } from '../support/softhsm.js'
import { type ConformanceSigner, signerFor, tokenSupport } from './signers.js'

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

/**
 * The suite's policy. `prefix` is where the tool's arguments sit in what the policy
 * sees: `args` for a tool call, `args.body` for an HTTP request (spec section 10).
 */
const policyTextOf = (prefix: string) => `
writ: 1
id: conformance
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: ${prefix}.amount <= 1000
  - id: no-sanctioned
    effect: deny
    actions: [payments.*]
    when: ${prefix}.to == 'mallory'
    reason: SANCTIONED_PAYEE
  - id: new-payee
    effect: approve
    actions: [payments.transfer]
    when: ${prefix}.to == 'acme'
    approvers: finance
`

/** The approver of the suite's holds: \`alice\` of group \`finance\`, with her own key. */
const approverKey = generateSigningKey()
const approvers = parseApprovers({
  groups: { finance: ['alice'] },
  approvers: [
    {
      id: 'alice',
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: approverKey.x, kid: approverKey.kid }],
    },
  ],
})

/** Options of {@link describeAdapterConformance}. */
export interface ConformanceOptions {
  /**
   * What the gate decides: `'tool'` (default), the tool call's arguments; `'http'`, the
   * HTTP request that carries them as its JSON body (the policy reads `args.body`).
   */
  readonly decides?: 'tool' | 'http'
  /**
   * Where the gates' key is: `'memory'` or `'pkcs11'`, a key in a throwaway SoftHSM2
   * token. Unset, the suite runs with both when SoftHSM2 is installed (always in CI, where
   * a missing SoftHSM2 fails the suite) and with the key in memory otherwise.
   * `WRIT_CONFORMANCE_SIGNER=memory|pkcs11` runs every suite with that one only.
   */
  readonly signer?: 'memory' | 'pkcs11'
}

/** The key of the gates the suite makes now; a fresh in-memory key unless a token is open. */
let currentSigner: ConformanceSigner | undefined

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

function newGate(prefix: string, store = createMemoryStore(), timeoutMs?: number) {
  return createGate({
    policy: compilePolicy(policyTextOf(prefix), { source: 'conformance.yaml' }),
    keys: currentSigner?.signer ?? generateSigningKey(),
    issuer: 'https://writ.test',
    store,
    defaultAgent: 'agent-under-test',
    approvers,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  })
}

/** Answers the hold `decision` names, as the suite's approver, on the local gate that holds it. */
async function answerHold(
  gate: LocalGate,
  decision: Decision | undefined,
  verdict: 'approve' | 'reject',
): Promise<void> {
  const hold = (decision as { hold?: { id: string } } | undefined)?.hold
  if (hold === undefined) throw new Error('the call was not held')
  const view = await gate.holds.get(hold.id)
  const opening = JSON.parse(
    Buffer.from((view?.receipt ?? '').split('.')[1] ?? '', 'base64url').toString('utf8'),
  )
  await gate.holds.submit(signApproval(approvalClaimsFor(opening, 'alice', verdict), approverKey))
}

/**
 * Pushes tool calls with `argsTexts` through ONE harness (the same audience, clients and
 * servers), backed by `gate`, running `between[i]` after call `i`.
 */
async function callsThrough(
  makeHarness: () => Promise<AdapterHarness>,
  gate: Gate & { decisions: Decision[] },
  argsTexts: readonly string[],
  between: readonly (() => Promise<void>)[] = [],
): Promise<CallResult[]> {
  const harness = await makeHarness()
  const results: CallResult[] = []
  try {
    for (const [index, argsText] of argsTexts.entries()) {
      const tool = recorder()
      const before = gate.decisions.length
      const outcome = await harness.run({
        gate,
        action: 'payments.transfer',
        argsText,
        execute: tool.execute,
      })
      results.push({ outcome, calls: tool.calls, decisions: gate.decisions.slice(before), gate })
      await between[index]?.()
    }
  } finally {
    await harness.close?.()
  }
  return results
}

/** The approval cases (spec section 11): held calls never run until approved, then once. */
function describeApprovalCases(makeHarness: () => Promise<AdapterHarness>, prefix: string): void {
  const held = '{"to":"acme","amount":50}'
  const holdIn = (decisions: readonly Decision[] | undefined) =>
    decisions?.find((decision) => decision.decision === 'SILENCE') as
      | (Decision & { hold?: { id: string } })
      | undefined

  it('never runs a call held for approval, and the answer names the hold', async () => {
    const [result] = await callsThrough(makeHarness, recordingGate(newGate(prefix)), [held])
    expect(result?.calls).toHaveLength(0)
    expect(result?.outcome.refused).toBe(true)
    const hold = holdIn(result?.decisions)
    expect(hold?.reason).toBe('APPROVAL_REQUIRED')
    expect(result?.outcome.text).toContain(hold?.hold?.id as string)
  })

  it('runs a held call once after approval, on a PERMIT that names the approval', async () => {
    const local = newGate(prefix)
    const gate = recordingGate(local)
    const approve = () => answerHold(local, holdIn(gate.decisions), 'approve')
    const results = await callsThrough(makeHarness, gate, [held, held, held], [approve])
    expect(results.map((result) => result.calls.length)).toEqual([0, 1, 0])
    const permit = results[1]?.decisions.find((decision) => decision.decision === 'PERMIT')
    expect(permit?.claims.appr?.map((entry) => entry.by)).toEqual(['alice'])
    expect(results[2]?.outcome.refused).toBe(true)
  })

  it('never runs a held call that an approver rejected', async () => {
    const local = newGate(prefix)
    const gate = recordingGate(local)
    const reject = () => answerHold(local, holdIn(gate.decisions), 'reject')
    const results = await callsThrough(makeHarness, gate, [held, held], [reject])
    expect(results.map((result) => result.calls.length)).toEqual([0, 0])
    expect(results[1]?.outcome.refused).toBe(true)
    expect(results[1]?.outcome.text).toContain('APPROVAL_REJECTED')
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
/** What one call through the adapter produced: the outcome, the tool's calls, the gate's decisions. */
interface CallResult {
  readonly outcome: HarnessOutcome
  readonly calls: unknown[]
  readonly decisions: Decision[]
  readonly gate: Gate
}

/**
 * Pushes one tool call with `argsText` through a fresh harness, backed by `gate`
 * (a recording gate over a new local gate by default), and closes the harness.
 */
async function callThrough(
  makeHarness: () => Promise<AdapterHarness>,
  argsText: string,
  gate: Gate,
): Promise<CallResult> {
  const harness = await makeHarness()
  try {
    const tool = recorder()
    const outcome = await harness.run({
      gate,
      action: 'payments.transfer',
      argsText,
      execute: tool.execute,
    })
    const decisions = (gate as Partial<{ decisions: Decision[] }>).decisions ?? []
    return { outcome, calls: tool.calls, decisions, gate }
  } finally {
    await harness.close?.()
  }
}

/** A refusal must name its decision, its reason and its receipt id, so a model can read it. */
function expectReadableRefusal(
  result: CallResult,
  decision: 'DENY' | 'SILENCE',
  reason?: string,
): void {
  expect(result.calls).toHaveLength(0)
  expect(result.outcome.refused).toBe(true)
  const last = result.decisions.at(-1)!
  expect(last.decision).toBe(decision)
  if (reason !== undefined) expect(last.reason).toBe(reason)
  expect(result.outcome.text).toContain(decision)
  expect(result.outcome.text).toContain(last.reason)
  expect(result.outcome.text).toContain(last.claims.jti)
}

const explodingGate: Gate = {
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

/** A gate whose store never answers an append, so every decision hits the gate's deadline. */
function stalledGate(prefix: string): Gate {
  const store = createMemoryStore()
  const stalled = new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'append') return () => new Promise(() => {})
      return Reflect.get(target, property, receiver)
    },
  })
  return newGate(prefix, stalled, 100)
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
  options: ConformanceOptions = {},
): void {
  const chosen = options.signer ?? process.env['WRIT_CONFORMANCE_SIGNER']
  if (chosen === 'memory' || chosen === 'pkcs11') {
    describeWith(name, makeHarness, options, chosen)
    return
  }
  describeWith(name, makeHarness, options, 'memory')
  const token = tokenSupport()
  if (token === 'present') describeWith(name, makeHarness, options, 'pkcs11')
  else if (token === 'required') {
    describe(`${name}: adapter conformance (PKCS#11 token)`, () => {
      it('has SoftHSM2 to run with a key in a token', () => {
        throw new Error(
          `SoftHSM2 is missing (${SOFTHSM_MODULE} or softhsm2-util): .ci/system-deps.sh installs the softhsm2 package for CI; set WRIT_CONFORMANCE_SIGNER=memory to run without it on purpose.`,
        )
      })
    })
  }
}

function describeWith(
  name: string,
  makeHarness: () => Promise<AdapterHarness>,
  options: ConformanceOptions,
  signer: 'memory' | 'pkcs11',
): void {
  const http = options.decides === 'http'
  const prefix = http ? 'args.body' : 'args'
  const freshGate = () => recordingGate(newGate(prefix))
  describe(`${name}: adapter conformance${signer === 'pkcs11' ? ' (PKCS#11 token)' : ''}`, () => {
    if (signer === 'pkcs11') {
      beforeAll(async () => {
        currentSigner = await signerFor('pkcs11')
      })
      afterAll(async () => {
        await currentSigner?.close()
        currentSigner = undefined
      })
    }
    it('runs a permitted call exactly once with exactly the arguments the receipt binds', async () => {
      const result = await callThrough(
        makeHarness,
        '{"to":"alice","amount":250.0,"memo":"rent"}',
        freshGate(),
      )
      expect(result.outcome.refused).toBe(false)
      expect(result.calls).toHaveLength(1)
      expect(result.calls[0]).toEqual({ to: 'alice', amount: 250, memo: 'rent' })
      const permits = result.decisions.filter((decision) => decision.decision === 'PERMIT')
      expect(permits).toHaveLength(1)
      const verified = await verifyReceipt(
        permits[0]!.receipt,
        createKeySet(await result.gate.keys()),
      )
      expect(verified.claims.decision).toBe('PERMIT')
      expect(verified.claims.act.name).toBe('payments.transfer')
      // The receipt binds what the policy saw: the tool's arguments, or the HTTP request
      // whose JSON body they are.
      const bound = (permits[0] as PermitDecision).args
      expect(verified.claims.act.args).toBe(canonicalArgs(bound).digest)
      expect(http ? bound['body'] : bound).toEqual(result.calls[0])
    })

    it('never runs a denied call, and the refusal is readable and names its receipt', async () => {
      const result = await callThrough(makeHarness, '{"to":"mallory","amount":10}', freshGate())
      expectReadableRefusal(result, 'DENY', 'SANCTIONED_PAYEE')
    })

    it('treats SILENCE as a refusal', async () => {
      const result = await callThrough(makeHarness, '{"to":"alice","amount":5000}', freshGate())
      expectReadableRefusal(result, 'SILENCE')
    })

    it('refuses arguments that are not I-JSON (duplicate keys) without running the tool', async () => {
      const result = await callThrough(
        makeHarness,
        '{"to":"alice","amount":10,"amount":100000}',
        freshGate(),
      )
      expect(result.calls).toHaveLength(0)
      expect(result.outcome.refused).toBe(true)
      expect(result.outcome.text).toContain('INPUT_INVALID')
    })

    describeApprovalCases(makeHarness, prefix)

    it('refuses when the gate throws', async () => {
      const result = await callThrough(makeHarness, '{"to":"alice","amount":10}', explodingGate)
      expect(result.calls).toHaveLength(0)
      expect(result.outcome.refused).toBe(true)
    })

    it('refuses when the gate times out', async () => {
      const result = await callThrough(
        makeHarness,
        '{"to":"alice","amount":10}',
        stalledGate(prefix),
      )
      expect(result.calls).toHaveLength(0)
      expect(result.outcome.refused).toBe(true)
    })
  })
}
