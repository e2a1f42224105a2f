import { Environment } from '@marcbachmann/cel-js'
import type { JsonObject } from '@writ/verify'
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
  /** The condition's value; throws when it fails to evaluate or is not a boolean. */
  evaluate(activation: ConditionActivation): boolean
}

/** A CEL expression that yields an amount (limit `sum`); `evaluate` throws unless the value is a finite number >= 0. */
export interface CompiledAmount {
  readonly source: string
  readonly usesNow: boolean
  evaluate(activation: ConditionActivation): number
}

/** The variables a Writ condition may read. */
export const CONDITION_VARIABLES = ['args', 'agent', 'context', 'now'] as const

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
  return sharedEnvironment
}

/** The error an expression raises when it fails at runtime. */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError'
}

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

// Walks the cel-js AST: refuses non-literal or unsafe `matches()` patterns and deep
// macro nesting; reports whether `now` is read.
function inspect(
  node: AstLike,
  location: ExpressionLocation,
  depth: number,
  found: { usesNow: boolean },
): void {
  if (node.op === 'id' && node.args === 'now') found.usesNow = true
  let nextDepth = depth
  if (node.op === 'rcall' || node.op === 'call') {
    const parts = node.args as readonly unknown[]
    const name = parts[0]
    if (name === 'matches') {
      const callArguments = (node.op === 'rcall' ? parts[2] : parts[1]) as readonly unknown[]
      const pattern = callArguments[callArguments.length - 1]
      if (!isAst(pattern) || pattern.op !== 'value' || typeof pattern.args !== 'string') {
        fail('POLICY_UNSAFE', location, 'matches() needs a string literal pattern', node.start)
      }
      const verdict = analyzeRegex(pattern.args as string)
      if (!verdict.safe)
        fail(
          'POLICY_UNSAFE',
          location,
          `unsafe matches() pattern: ${verdict.reason}`,
          pattern.start,
        )
    }
    if (node.op === 'rcall' && typeof name === 'string' && MACROS.has(name)) {
      nextDepth = depth + 1
      if (nextDepth > MAX_MACRO_NESTING) {
        fail(
          'POLICY_UNSAFE',
          location,
          `comprehension macros may nest at most ${MAX_MACRO_NESTING} deep`,
          node.start,
        )
      }
    }
  }
  const visit = (value: unknown): void => {
    if (isAst(value)) inspect(value, location, nextDepth, found)
    else if (Array.isArray(value)) for (const item of value) visit(item)
  }
  visit(node.args)
}

type Evaluator = (activation: ConditionActivation) => unknown

function compile(
  source: string,
  location: ExpressionLocation,
  accepted: ReadonlySet<string>,
  kind: string,
): { run: Evaluator; usesNow: boolean } {
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
  const found = { usesNow: false }
  inspect(parsed.ast as unknown as AstLike, location, 0, found)
  return { run: parsed as unknown as Evaluator, usesNow: found.usesNow }
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
export function compileCondition(source: string, where: ExpressionLocation): CompiledCondition {
  const { run, usesNow } = compile(source, where, booleanTypes, 'a condition must be boolean but')
  return {
    source,
    usesNow,
    evaluate(activation) {
      const value = run(activation)
      if (typeof value !== 'boolean')
        throw new ConditionEvaluationError(`condition returned ${typeof value}, not a boolean`)
      return value
    },
  }
}

/**
 * Compiles a CEL expression that yields an amount (a limit's `sum`). At runtime the value
 * must be a finite number >= 0 (CEL `int`, `uint` or `double`); anything else throws.
 */
export function compileAmount(source: string, where: ExpressionLocation): CompiledAmount {
  const { run, usesNow } = compile(source, where, numberTypes, 'a sum must be a number but')
  return {
    source,
    usesNow,
    evaluate(activation) {
      const value = run(activation)
      let amount: number
      if (typeof value === 'number') amount = value
      else if (typeof value === 'bigint') {
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < 0n)
          throw new ConditionEvaluationError('sum is out of range')
        amount = Number(value)
      } else if (
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { valueOf(): unknown }).valueOf() === 'bigint'
      ) {
        // CEL uint values are wrapped; unwrap them the same way.
        const inner = (value as { valueOf(): bigint }).valueOf()
        if (inner > BigInt(Number.MAX_SAFE_INTEGER))
          throw new ConditionEvaluationError('sum is out of range')
        amount = Number(inner)
      } else throw new ConditionEvaluationError(`sum returned ${typeof value}, not a number`)
      if (!Number.isFinite(amount) || amount < 0)
        throw new ConditionEvaluationError('sum must be a finite number >= 0')
      return amount
    },
  }
}
