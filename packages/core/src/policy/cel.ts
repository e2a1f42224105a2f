import { Environment } from '@marcbachmann/cel-js'
import type { JsonObject } from '@writ/verify'
import {
  ConditionEvaluationError,
  DEFAULT_EVALUATION_LIMITS,
  type EvaluationLimits,
  guardTree,
  runWithin,
} from './cel-guard.js'
import { type PolicyErrorCode, policyError } from './policy-problem.js'
import { analyzeRegex } from './regex-safety.js'
import { MAX_EXPRESSION_LENGTH } from './schema.js'

/**
 * The values a condition sees. `now` is a CEL `google.protobuf.Timestamp` (a JS `Date`),
 * so conditions can write `now > timestamp('2025-01-01T00:00:00Z')` or `now.getHours() < 18`.
 */
export interface ConditionActivation {
  readonly args: Readonly<JsonObject>
  readonly agent: string
  readonly context: Readonly<JsonObject>
  readonly now: Date
  /** The audience the request names (the receipt's `aud`), or `null` when it names none. */
  readonly audience: string | null
  /**
   * The decisions made earlier in the request's session, oldest first, within the
   * gate's history bounds; empty when the policy reads no history.
   */
  readonly history: readonly HistoryEntry[]
}

/** One earlier decision of a session, as conditions see it in `history`. */
export interface HistoryEntry {
  /** The action decided. */
  readonly action: string
  /** What was decided. */
  readonly decision: 'PERMIT' | 'DENY' | 'SILENCE'
  /** The rule (or limit) named by the decision, or `null`. */
  readonly rule: string | null
  /** When it was decided. */
  readonly time: Date
  /** The tags of the rule that decided (empty when none). */
  readonly tags: readonly string[]
}

/** Where an expression sits in its policy, for error details. */
export interface ExpressionLocation {
  /** Path in the document, e.g. `rules[2].when`. */
  readonly path: string
  /** Id of the rule or limit holding the expression. */
  readonly ruleId?: string
  /** Policy source (file name). */
  readonly source?: string
  readonly line?: number
  readonly column?: number
}

/** A CEL condition compiled once at load; `evaluate` throws on any evaluation error. */
export interface CompiledCondition {
  readonly source: string
  /** True when the expression reads `now`. */
  readonly usesNow: boolean
  /** True when the expression reads `history`. */
  readonly usesHistory: boolean
  /** Patterns whose cost may grow faster than their input, for `writ policy check`. */
  readonly warnings: readonly ExpressionWarning[]
  /**
   * The condition's value; throws when it fails to evaluate or is not a boolean, with a
   * {@link ConditionEvaluationError} `code` when Writ's guards refused it.
   */
  evaluate(activation: ConditionActivation): boolean
}

/** A CEL expression that yields an amount (limit `sum`); `evaluate` throws unless the value is a finite number >= 0. */
export interface CompiledAmount {
  readonly source: string
  readonly usesNow: boolean
  readonly usesHistory: boolean
  readonly warnings: readonly ExpressionWarning[]
  evaluate(activation: ConditionActivation): number
}

/** The variables a Writ condition may read. */
export const CONDITION_VARIABLES = [
  'args',
  'agent',
  'context',
  'now',
  'audience',
  'history',
] as const

/** A pattern in an expression that is allowed but may be slow on large arguments. */
export interface ExpressionWarning {
  readonly message: string
  /** Offset of the pattern in the expression. */
  readonly offset?: number
}

/** How deeply comprehension macros (`all`, `exists`, `exists_one`, `map`, `filter`) may nest. */
export const MAX_MACRO_NESTING = 2

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter'])

let sharedEnvironment: Environment | undefined

// Building a cel-js Environment is expensive: one, shared, for every policy.
function environment(): Environment {
  sharedEnvironment ??= new Environment({
    limits: {
      maxAstNodes: 1024,
      maxDepth: 32,
      maxListElements: 256,
      maxMapEntries: 256,
      maxCallArguments: 8,
    },
  })
    .registerVariable('args', 'map')
    .registerVariable('agent', 'string')
    .registerVariable('context', 'map')
    .registerVariable('now', 'google.protobuf.Timestamp')
    // A string, or null when the request names no audience: `dyn` so null is accepted.
    .registerVariable('audience', 'dyn')
    // The session's earlier decisions: a list of maps (action, decision, rule, time, tags).
    .registerVariable('history', 'list')
  return sharedEnvironment
}

export {
  type ConditionErrorCode,
  ConditionEvaluationError,
  conditionErrorCode,
  DEFAULT_MAX_EVALUATION_COST,
  DEFAULT_MAX_ITERATED_SIZE,
} from './cel-guard.js'

interface AstLike {
  readonly op: string
  readonly args: unknown
  readonly start?: number
}

function isAst(value: unknown): value is AstLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { op?: unknown }).op === 'string'
  )
}

function fail(
  code: PolicyErrorCode,
  location: ExpressionLocation,
  message: string,
  offset?: number,
): never {
  const suffix = offset === undefined ? '' : ` (at offset ${offset})`
  throw policyError(code, location.source, [
    {
      path: location.path,
      message: `${message}${suffix}`,
      ...(location.ruleId === undefined ? {} : { ruleId: location.ruleId }),
      ...(location.line === undefined ? {} : { line: location.line }),
      ...(location.column === undefined ? {} : { column: location.column }),
    },
  ])
}

function readsArgs(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(readsArgs)
  if (!isAst(value)) return false
  return (value.op === 'id' && value.args === 'args') || readsArgs(value.args)
}

interface Findings {
  usesNow: boolean
  usesHistory: boolean
  readonly warnings: ExpressionWarning[]
}

const QUADRATIC_MACRO =
  'a comprehension nested in another, both over argument lists: its cost grows with the product of their sizes'
const QUADRATIC_IN =
  '`in` over an argument list inside a comprehension over an argument list: its cost grows with the product of their sizes'

// Walks the cel-js AST: refuses non-literal or unsafe `matches()` patterns and deep
// macro nesting; reports whether `now` is read, and warns about quadratic patterns.
// `overArgs` is true inside a comprehension that iterates something read from `args`.
function inspect(
  node: AstLike,
  location: ExpressionLocation,
  depth: number,
  found: Findings,
  overArgs: boolean,
): void {
  if (node.op === 'id' && node.args === 'now') found.usesNow = true
  if (node.op === 'id' && node.args === 'history') found.usesHistory = true
  if (node.op === 'in' && overArgs && readsArgs((node.args as readonly unknown[])[1])) {
    warnAt(found, QUADRATIC_IN, node.start)
  }
  if (node.op === 'rcall' || node.op === 'call') {
    const parts = node.args as readonly unknown[]
    const name = parts[0]
    if (name === 'matches') checkMatches(node, parts, location)
    if (node.op === 'rcall' && typeof name === 'string' && MACROS.has(name)) {
      inspectMacro(node, parts, location, depth, found, overArgs)
      return
    }
  }
  inspectChildren(node.args, location, depth, found, overArgs)
}

function inspectChildren(
  value: unknown,
  location: ExpressionLocation,
  depth: number,
  found: Findings,
  overArgs: boolean,
): void {
  if (isAst(value)) inspect(value, location, depth, found, overArgs)
  else if (Array.isArray(value))
    for (const item of value) inspectChildren(item, location, depth, found, overArgs)
}

function warnAt(found: Findings, message: string, offset: number | undefined): void {
  found.warnings.push({ message, ...(offset === undefined ? {} : { offset }) })
}

/** `matches()` takes only a string literal pattern that is safe to run. */
function checkMatches(
  node: AstLike,
  parts: readonly unknown[],
  location: ExpressionLocation,
): void {
  const callArguments = (node.op === 'rcall' ? parts[2] : parts[1]) as readonly unknown[]
  const pattern = callArguments[callArguments.length - 1]
  if (!isAst(pattern) || pattern.op !== 'value' || typeof pattern.args !== 'string') {
    fail('POLICY_UNSAFE', location, 'matches() needs a string literal pattern', node.start)
  }
  const verdict = analyzeRegex(pattern.args as string)
  if (!verdict.safe)
    fail('POLICY_UNSAFE', location, `unsafe matches() pattern: ${verdict.reason}`, pattern.start)
}

/** A comprehension macro: one level deeper; its body iterates arguments when its receiver reads them. */
function inspectMacro(
  node: AstLike,
  parts: readonly unknown[],
  location: ExpressionLocation,
  depth: number,
  found: Findings,
  overArgs: boolean,
): void {
  const nextDepth = depth + 1
  if (nextDepth > MAX_MACRO_NESTING) {
    fail(
      'POLICY_UNSAFE',
      location,
      `comprehension macros may nest at most ${MAX_MACRO_NESTING} deep`,
      node.start,
    )
  }
  const receiverReadsArgs = readsArgs(parts[1])
  if (overArgs && receiverReadsArgs) warnAt(found, QUADRATIC_MACRO, node.start)
  if (isAst(parts[1])) inspect(parts[1], location, nextDepth, found, overArgs)
  inspectChildren(parts[2], location, nextDepth, found, overArgs || receiverReadsArgs)
}

type Evaluator = (activation: ConditionActivation) => unknown

// Runs a guarded expression under its limits; every failure is a ConditionEvaluationError.
function evaluateWithin(
  limits: EvaluationLimits,
  evaluate: Evaluator,
  activation: ConditionActivation,
): unknown {
  try {
    return runWithin(limits, () => evaluate(activation))
  } catch (error) {
    if (error instanceof ConditionEvaluationError) throw error
    // cel-js's own errors (a missing field, no such overload) keep their message.
    throw new ConditionEvaluationError(
      'EVAL_FAILED',
      error instanceof Error ? error.message : String(error),
      { cause: error },
    )
  }
}

interface Compiled {
  run: Evaluator
  usesNow: boolean
  usesHistory: boolean
  warnings: readonly ExpressionWarning[]
}

function compile(
  source: string,
  location: ExpressionLocation,
  accepted: ReadonlySet<string>,
  kind: string,
  limits: EvaluationLimits,
): Compiled {
  if (source.length > MAX_EXPRESSION_LENGTH)
    fail('POLICY_INVALID', location, `expression longer than ${MAX_EXPRESSION_LENGTH} characters`)
  const cel = environment()
  let parsed: ReturnType<Environment['parse']>
  try {
    parsed = cel.parse(source)
  } catch (error) {
    const detail = error as {
      code?: string
      summary?: string
      message?: string
      range?: { start: number }
    }
    const code: PolicyErrorCode =
      detail.code === 'limit_exceeded' ? 'POLICY_UNSAFE' : 'POLICY_INVALID'
    fail(
      code,
      location,
      `CEL ${code === 'POLICY_UNSAFE' ? 'limit exceeded' : 'syntax error'}: ${detail.summary ?? detail.message ?? String(error)}`,
      detail.range?.start,
    )
  }
  const checked = parsed.check()
  if (!checked.valid) {
    const detail = checked.error as
      | { code?: string; summary?: string; message?: string; range?: { start: number } }
      | undefined
    const unknownVariable = detail?.code === 'unknown_variable'
    fail(
      unknownVariable ? 'POLICY_UNSAFE' : 'POLICY_INVALID',
      location,
      unknownVariable
        ? `${detail?.summary ?? 'unknown variable'}; conditions may read only ${CONDITION_VARIABLES.join(', ')}`
        : `CEL type error: ${detail?.summary ?? detail?.message ?? 'invalid expression'}`,
      detail?.range?.start,
    )
  }
  if (checked.type === undefined || !accepted.has(checked.type)) {
    fail('POLICY_INVALID', location, `${kind} has type ${checked.type ?? 'unknown'}`)
  }
  const found: Findings = { usesNow: false, usesHistory: false, warnings: [] }
  inspect(parsed.ast as unknown as AstLike, location, 0, found, false)
  // From here on every step of the expression draws on the evaluation's budget.
  guardTree(parsed.ast)
  const evaluate = parsed as unknown as Evaluator
  const run: Evaluator = (activation) => evaluateWithin(limits, evaluate, activation)
  return { run, ...found, warnings: Object.freeze(found.warnings) }
}

/**
 * The bounds one evaluation of an expression runs under. An evaluation that exceeds
 * them fails (`EVAL_BUDGET_EXCEEDED`, `EVAL_SIZE_LIMIT`), so the policy decides DENY
 * `EVAL_ERROR`.
 */
export interface ExpressionLimits {
  /** Cost units one evaluation may spend. Default {@link DEFAULT_MAX_EVALUATION_COST}. */
  readonly maxEvaluationCost?: number
  /** The longest list or largest map a macro or `in` may iterate. Default {@link DEFAULT_MAX_ITERATED_SIZE}. */
  readonly maxIteratedSize?: number
}

function evaluationLimits(limits: ExpressionLimits | undefined): EvaluationLimits {
  if (limits === undefined) return DEFAULT_EVALUATION_LIMITS
  return {
    maxCost: limits.maxEvaluationCost ?? DEFAULT_EVALUATION_LIMITS.maxCost,
    maxIteratedSize: limits.maxIteratedSize ?? DEFAULT_EVALUATION_LIMITS.maxIteratedSize,
  }
}

const booleanTypes: ReadonlySet<string> = new Set(['bool', 'dyn'])
const numberTypes: ReadonlySet<string> = new Set(['int', 'uint', 'double', 'dyn'])

/**
 * Compiles a CEL condition once, at policy load. Refuses syntax and type errors
 * (`POLICY_INVALID`), and unknown variables, non-literal or unsafe `matches()` patterns
 * and expressions past the structural limits (`POLICY_UNSAFE`).
 *
 * @example
 * ```ts
 * const condition = compileCondition("args.amount <= 1000 && args.currency in ['USD', 'EUR']", { path: 'rules[0].when' })
 * condition.evaluate({ args: { amount: 250, currency: 'USD' }, agent: 'bot', context: {}, now: new Date() }) // true
 * ```
 */
export function compileCondition(
  source: string,
  where: ExpressionLocation,
  limits?: ExpressionLimits,
): CompiledCondition {
  return compileChecked(
    source,
    where,
    booleanTypes,
    'a condition must be boolean but',
    limits,
    asBoolean,
  )
}

function asBoolean(value: unknown): boolean {
  if (typeof value !== 'boolean')
    throw new ConditionEvaluationError(
      'EVAL_FAILED',
      `condition returned ${typeof value}, not a boolean`,
    )
  return value
}

/** Compiles `source` for `types`; each evaluation's value goes through `check`. */
function compileChecked<T>(
  source: string,
  where: ExpressionLocation,
  types: ReadonlySet<string>,
  typeMessage: string,
  limits: ExpressionLimits | undefined,
  check: (value: unknown) => T,
): {
  readonly source: string
  readonly usesNow: boolean
  readonly usesHistory: boolean
  readonly warnings: readonly ExpressionWarning[]
  evaluate(activation: ConditionActivation): T
} {
  const { run, usesNow, usesHistory, warnings } = compile(
    source,
    where,
    types,
    typeMessage,
    evaluationLimits(limits),
  )
  return {
    source,
    usesNow,
    usesHistory,
    warnings,
    evaluate: (activation) => check(run(activation)),
  }
}

/**
 * Compiles a CEL expression that yields an amount (a limit's `sum`). At runtime the value
 * must be a finite number >= 0 (CEL `int`, `uint` or `double`); anything else throws.
 */
export function compileAmount(
  source: string,
  where: ExpressionLocation,
  limits?: ExpressionLimits,
): CompiledAmount {
  return compileChecked(source, where, numberTypes, 'a sum must be a number but', limits, asAmount)
}

function asAmount(value: unknown): number {
  let amount: number
  if (typeof value === 'number') amount = value
  else if (typeof value === 'bigint') {
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < 0n)
      throw new ConditionEvaluationError('EVAL_FAILED', 'sum is out of range')
    amount = Number(value)
  } else if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { valueOf(): unknown }).valueOf() === 'bigint'
  ) {
    // CEL uint values are wrapped; unwrap them the same way.
    const inner = (value as { valueOf(): bigint }).valueOf()
    if (inner > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ConditionEvaluationError('EVAL_FAILED', 'sum is out of range')
    amount = Number(inner)
  } else
    throw new ConditionEvaluationError('EVAL_FAILED', `sum returned ${typeof value}, not a number`)
  if (!Number.isFinite(amount) || amount < 0)
    throw new ConditionEvaluationError('EVAL_FAILED', 'sum must be a finite number >= 0')
  return amount
}
