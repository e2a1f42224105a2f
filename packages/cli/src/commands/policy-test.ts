/**
 * `writ policy test FILE CASES`: decides each case under the policy, exactly as a
 * gate would, and compares with what the case expects (like `opa test`).
 */
import {
  type CompiledPolicy,
  compilePolicy,
  createGate,
  type Decision,
  generateSigningKey,
  runPolicySelfTests,
} from '@writ/core'
import { booleanFlag, type Command, jsonLine, positional } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readTextFile } from '../files.js'
import type { CliIo } from '../io.js'
import { type CaseExpectation, type PolicyCase, parsePolicyCases } from '../policy-cases.js'

interface Outcome {
  readonly decision: string
  readonly rule: string | null
  readonly reason: string
}

function matches(expected: CaseExpectation, actual: Outcome): boolean {
  return (
    expected.decision === actual.decision &&
    (expected.rule === undefined || expected.rule === actual.rule) &&
    (expected.reason === undefined || expected.reason === actual.reason)
  )
}

function describe(outcome: { decision: string; rule?: string | null; reason?: string }): string {
  const parts: string[] = []
  if (outcome.rule !== undefined) parts.push(`rule ${outcome.rule ?? 'null'}`)
  if (outcome.reason !== undefined) parts.push(`reason ${outcome.reason}`)
  return parts.length === 0 ? outcome.decision : `${outcome.decision} (${parts.join(', ')})`
}

/** `writ policy test`. */
export const policyTestCommand: Command = {
  name: 'policy test',
  summary: "run a policy's self-tests and a file of expected decisions (PASS/FAIL per case)",
  positionals: { min: 1, max: 2, names: 'FILE [CASES]' },
  options: { json: { type: 'boolean' } },
  help: `Usage: writ policy test FILE [CASES] [--json]

Runs the self-tests the policy FILE carries under \`tests:\` (the same ones every
gate and writ serve run at start-up; see docs/policy.md, "Self-tests"), then
decides every case of CASES under the policy, through a real gate (input rules,
conditions, limits; a fresh in-memory store and a throwaway key per case), and
compares the outcome with the case's expectation. Self-tests are listed as
"self-test: NAME"; when one fails, CASES is not run (no gate takes the policy).
CASES is YAML or JSON:

  - name: small transfer is permitted
    action: payments.transfer
    args: { to: acme, amount: 250 }      # an object, or raw JSON text
    agent: bot-7                         # optional
    context: { tenant: eu }              # optional
    now: 2026-01-01T00:00:00Z            # optional decision time
    expect: { decision: PERMIT, rule: small-transfers, reason: RULE_PERMIT }

rule and reason are compared only when given (rule: null expects no rule).

  --json  print { passed, failed, cases: [{ name, pass, expected, actual }] }

Exit codes: 0 every case passed, 1 a case failed or the policy is invalid,
2 usage error, 3 unreadable file or invalid cases file.`,
  async run(input, io) {
    const policyFile = positional(input, 0)
    const casesFile = input.positionals[1]
    const policy = compilePolicy(readTextFile(io, policyFile, 'policy file'), {
      source: policyFile,
      selfTests: false,
    })
    const results: CaseResult[] = runPolicySelfTests(policy).map((result) => ({
      name: `self-test: ${result.name}`,
      pass: result.pass,
      expected: {
        decision: result.expected.decision,
        ...(result.expected.rule === undefined ? {} : { rule: result.expected.rule }),
        ...(result.expected.reason === undefined ? {} : { reason: result.expected.reason }),
      },
      actual: result.actual,
    }))
    if (casesFile !== undefined && results.every((result) => result.pass))
      results.push(...(await runCases(io, policy, casesFile)))
    if (results.length === 0) io.stdout(`${policyFile}: no self-tests and no CASES file\n`)
    printResults(io, results, booleanFlag(input, 'json'))
    const failed = results.filter((result) => !result.pass).length
    return failed === 0 ? EXIT_CODES.ok : EXIT_CODES.failed
  },
}

interface CaseResult {
  readonly name: string
  readonly pass: boolean
  readonly expected: CaseExpectation
  readonly actual: Outcome
}

async function runCases(
  io: CliIo,
  policy: CompiledPolicy,
  casesFile: string,
): Promise<CaseResult[]> {
  const cases = parsePolicyCases(readTextFile(io, casesFile, 'cases file'), casesFile)
  const key = generateSigningKey()
  const results: CaseResult[] = []
  for (const item of cases) {
    const decision = await decideCase(policy, key, item)
    const actual: Outcome = {
      decision: decision.decision,
      rule: decision.rule,
      reason: decision.reason,
    }
    results.push({
      name: item.name,
      pass: matches(item.expect, actual),
      expected: item.expect,
      actual,
    })
  }
  return results
}

function printResults(io: CliIo, results: readonly CaseResult[], json: boolean): void {
  const failed = results.filter((result) => !result.pass).length
  if (json) {
    io.stdout(jsonLine({ passed: results.length - failed, failed, cases: results }))
    return
  }
  for (const result of results) {
    io.stdout(
      result.pass
        ? `PASS  ${result.name}\n`
        : `FAIL  ${result.name}: expected ${describe(result.expected)}, got ${describe(result.actual)}\n`,
    )
  }
  io.stdout(`${results.length} case(s): ${results.length - failed} passed, ${failed} failed\n`)
}

async function decideCase(
  policy: CompiledPolicy,
  key: ReturnType<typeof generateSigningKey>,
  item: PolicyCase,
): Promise<Decision> {
  const now = item.now
  const gate = createGate({
    policy,
    keys: key,
    issuer: 'writ-policy-test',
    ...(now === undefined ? {} : { clock: () => now }),
  })
  return gate.authorize({
    action: item.action,
    args: item.args,
    ...(item.agent === undefined ? {} : { agent: item.agent }),
    ...(item.context === undefined ? {} : { context: item.context }),
  })
}
