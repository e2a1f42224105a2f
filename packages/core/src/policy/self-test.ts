/**
 * Start-up self-tests: the `tests:` a policy document carries, each a request and the
 * decision the policy must reach for it. They run when the policy is compiled and again
 * when a gate takes it, so a policy whose meaning changed (a typo in a condition, a
 * rule that no longer applies) never starts deciding.
 */
import { type JsonObject, WritError } from '@writ/verify'
import type { CompiledPolicy, Evaluation } from './policy-types.js'
import type { PolicyTest } from './schema.js'

/** The agent a self-test decides for when it names none: the gate's default. */
const SELF_TEST_AGENT = 'anonymous'

/** What one self-test decided, and whether it was what the test expects. */
export interface PolicySelfTestResult {
  readonly name: string
  readonly pass: boolean
  readonly expected: PolicyTest['expect']
  readonly actual: {
    readonly decision: string
    readonly rule: string | null
    readonly reason: string
  }
}

function secondsOf(now: PolicyTest['now'], loadedAt: number): number {
  if (now === undefined) return loadedAt
  if (typeof now === 'number') return now
  return Math.floor(Date.parse(now) / 1000)
}

/**
 * The outcome of a first request: the policy's evaluation, then its limits as a fresh
 * store would check them (a single request that alone exceeds a limit is refused by it).
 */
function outcomeOf(evaluation: Evaluation): PolicySelfTestResult['actual'] {
  if (evaluation.decision === 'PERMIT') {
    const exceeded = evaluation.limits.find((limit) => limit.amount > limit.max)
    if (exceeded !== undefined)
      return { decision: 'DENY', rule: exceeded.id, reason: exceeded.reason ?? 'LIMIT_EXCEEDED' }
  }
  return { decision: evaluation.decision, rule: evaluation.rule, reason: evaluation.reason }
}

function passes(expected: PolicyTest['expect'], actual: PolicySelfTestResult['actual']): boolean {
  return (
    expected.decision === actual.decision &&
    (expected.rule === undefined || expected.rule === actual.rule) &&
    (expected.reason === undefined || expected.reason === actual.reason)
  )
}

/**
 * Runs every self-test of the policy (its document's `tests:`) and returns each result,
 * failing or not. Decides as a gate would for a first request: conditions, then limits
 * against an empty store. Input checks (JSON limits, action names) are the gate's and
 * are not exercised here.
 *
 * @param policy The compiled policy.
 * @param loadedAt Seconds since the epoch, for tests that name no `now` (default: now).
 */
export function runPolicySelfTests(
  policy: Pick<CompiledPolicy, 'document' | 'evaluate'>,
  loadedAt: number = Math.floor(Date.now() / 1000),
): PolicySelfTestResult[] {
  return (policy.document.tests ?? []).map((test) => {
    const evaluation = policy.evaluate({
      action: test.action,
      args: (test.args ?? {}) as JsonObject,
      agent: test.agent ?? SELF_TEST_AGENT,
      context: (test.context ?? {}) as JsonObject,
      now: secondsOf(test.now, loadedAt),
      ...(test.audience === undefined ? {} : { audience: test.audience }),
      // A named session starts empty: its `history` has no earlier decisions.
      ...(test.session === undefined ? {} : { session: test.session, history: [] }),
    })
    const actual = outcomeOf(evaluation)
    return { name: test.name, pass: passes(test.expect, actual), expected: test.expect, actual }
  })
}

function describe(outcome: {
  decision: string
  rule?: string | null | undefined
  reason?: string | undefined
}): string {
  const parts: string[] = []
  if (outcome.rule !== undefined) parts.push(`rule ${outcome.rule ?? 'none'}`)
  if (outcome.reason !== undefined) parts.push(`reason ${outcome.reason}`)
  return parts.length === 0 ? outcome.decision : `${outcome.decision} (${parts.join(', ')})`
}

/**
 * Runs the policy's self-tests and throws `POLICY_SELF_TEST_FAILED` when any fails. The
 * message names the first failing test, what it expected and what the policy decided;
 * `details.failures` lists every failing test.
 */
export function assertPolicySelfTests(
  policy: Pick<CompiledPolicy, 'document' | 'evaluate' | 'source'>,
  loadedAt?: number,
): void {
  const failures = runPolicySelfTests(policy, loadedAt).filter((result) => !result.pass)
  const first = failures[0]
  if (first === undefined) return
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more failing)` : ''
  throw new WritError(
    'POLICY_SELF_TEST_FAILED',
    `${policy.source ?? '<policy>'}: self-test "${first.name}" failed: expected ${describe(first.expected)}, the policy decided ${describe(first.actual)}${more}`,
    {
      details: {
        source: policy.source ?? null,
        test: first.name,
        failures: failures.map(({ name, expected, actual }) => ({ name, expected, actual })),
      },
    },
  )
}
