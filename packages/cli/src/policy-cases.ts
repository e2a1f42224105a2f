/**
 * The cases file of `writ policy test`: a YAML or JSON list of
 * `{ name, action, args, agent?, context?, now?, expect: { decision, rule?, reason? } }`
 * (or an object with such a list under `cases`).
 */
import type { DecisionKind, JsonObject } from '@writ/verify'
import { parse } from 'yaml'
import { CliError } from './cli-error.js'

/** What a case expects. `rule` and `reason` are only compared when given. */
export interface CaseExpectation {
  readonly decision: DecisionKind
  /** The deciding rule, or `null` for none (SILENCE, input refusals). */
  readonly rule?: string | null
  readonly reason?: string
}

/** One case of a policy test. */
export interface PolicyCase {
  readonly name: string
  readonly action: string
  /** A JSON object, or raw JSON text (duplicate keys are then detected as the gate would). */
  readonly args: unknown
  readonly agent?: string
  readonly context?: JsonObject
  /** Decision time, as an ISO 8601 date or seconds since the epoch. */
  readonly now?: number
  readonly expect: CaseExpectation
}

const decisions: ReadonlySet<unknown> = new Set(['PERMIT', 'DENY', 'SILENCE'])

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function invalid(file: string, index: number, message: string): CliError {
  return new CliError('CASES_INVALID', `${file}: case ${index + 1}: ${message}`, {
    details: { file, index },
  })
}

const caseMembers: ReadonlySet<string> = new Set([
  'name',
  'action',
  'args',
  'agent',
  'context',
  'now',
  'expect',
])
const expectMembers: ReadonlySet<string> = new Set(['decision', 'rule', 'reason'])

function readNow(value: unknown, fail: (message: string) => CliError): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value * 1000
  if (typeof value === 'string') {
    const time = Date.parse(value)
    if (!Number.isNaN(time)) return time
  }
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime()
  throw fail('now must be an ISO 8601 date or whole seconds since the epoch')
}

function readCase(file: string, index: number, value: unknown): PolicyCase {
  const fail = (message: string) => invalid(file, index, message)
  if (!isObject(value)) throw fail('must be an object')
  for (const key of Object.keys(value))
    if (!caseMembers.has(key)) throw fail(`unknown member "${key}"`)
  const { name, action, args, agent, context, now, expect } = value
  if (typeof name !== 'string' || name === '') throw fail('name must be a non-empty string')
  if (typeof action !== 'string') throw fail('action must be a string')
  if (args === undefined) throw fail('args is required ({} for none)')
  if (agent !== undefined && typeof agent !== 'string') throw fail('agent must be a string')
  if (context !== undefined && !isObject(context)) throw fail('context must be an object')
  if (!isObject(expect)) throw fail('expect must be an object with a decision')
  for (const key of Object.keys(expect))
    if (!expectMembers.has(key)) throw fail(`unknown member "expect.${key}"`)
  if (!decisions.has(expect['decision']))
    throw fail('expect.decision must be PERMIT, DENY or SILENCE')
  const rule = expect['rule']
  if (rule !== undefined && rule !== null && typeof rule !== 'string')
    throw fail('expect.rule must be a string or null')
  const reason = expect['reason']
  if (reason !== undefined && typeof reason !== 'string')
    throw fail('expect.reason must be a string')
  const time = readNow(now, fail)
  return {
    name,
    action,
    args,
    ...(agent === undefined ? {} : { agent }),
    ...(context === undefined ? {} : { context: context as JsonObject }),
    ...(time === undefined ? {} : { now: time }),
    expect: {
      decision: expect['decision'] as DecisionKind,
      ...(rule === undefined ? {} : { rule }),
      ...(reason === undefined ? {} : { reason }),
    },
  }
}

/** Parses a cases file's text (YAML 1.2, of which JSON is a subset). Throws `CASES_INVALID`. */
export function parsePolicyCases(text: string, file: string): PolicyCase[] {
  let document: unknown
  try {
    document = parse(text, { uniqueKeys: true, schema: 'core' })
  } catch (cause) {
    throw new CliError(
      'CASES_INVALID',
      `${file}: not valid YAML or JSON: ${(cause as Error).message}`,
      { cause },
    )
  }
  const list = isObject(document) ? document['cases'] : document
  if (!Array.isArray(list))
    throw new CliError('CASES_INVALID', `${file}: expected a list of cases (or { cases: [...] })`)
  if (list.length === 0) throw new CliError('CASES_INVALID', `${file}: no cases`)
  const cases = list.map((value, index) => readCase(file, index, value))
  const names = new Set<string>()
  cases.forEach((item, index) => {
    if (names.has(item.name)) throw invalid(file, index, `duplicate case name "${item.name}"`)
    names.add(item.name)
  })
  return cases
}
