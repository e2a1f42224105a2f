/**
 * Runtime guards Writ adds to the CEL interpreter: a cost budget that every evaluation
 * must stay within, a cap on the size of what a macro or `in` iterates, and comparisons
 * that fail on mismatched types instead of quietly answering `false`.
 *
 * cel-js has no cost metering, so Writ installs it: once an expression is parsed and
 * type-checked, each node of its (macro-expanded) tree gets an `evaluate` that charges
 * the running evaluation before doing its work. The comparison operators (`==`, `!=`,
 * `<`, `<=`, `>`, `>=`, `in`) are replaced by Writ's own, which check the operand types.
 */

/** The code of a condition that failed to evaluate. */
export type ConditionErrorCode =
  /** The evaluation needed more work than its budget ({@link DEFAULT_MAX_EVALUATION_COST}). */
  | 'EVAL_BUDGET_EXCEEDED'
  /** A macro or `in` would iterate a list or map longer than allowed ({@link DEFAULT_MAX_ITERATED_SIZE}). */
  | 'EVAL_SIZE_LIMIT'
  /** A comparison of values of different types, e.g. a string with a list or with `null`. */
  | 'EVAL_TYPE_MISMATCH'
  /** Any other failure: a missing field, a function applied to the wrong type, a non-boolean result. */
  | 'EVAL_FAILED'

/** The error an expression raises when it fails at runtime; `code` says why. */
export class ConditionEvaluationError extends Error {
  override readonly name = 'ConditionEvaluationError'
  readonly code: ConditionErrorCode
  constructor(code: ConditionErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
  }
}

/** The code of any error thrown while evaluating a condition (`EVAL_FAILED` unless Writ raised it). */
export function conditionErrorCode(error: unknown): ConditionErrorCode {
  return error instanceof ConditionEvaluationError ? error.code : 'EVAL_FAILED'
}

/** The default work budget of one condition evaluation, in cost units (see docs/policy.md). */
export const DEFAULT_MAX_EVALUATION_COST = 1_000_000

/** The default longest list (or largest map) a macro or `in` may iterate. */
export const DEFAULT_MAX_ITERATED_SIZE = 10_000

/** How many string or bytes characters make one cost unit. */
export const CHARACTERS_PER_COST_UNIT = 32

/** The bounds one condition evaluation runs under. */
export interface EvaluationLimits {
  /** Cost units one evaluation may spend. */
  readonly maxCost: number
  /** The longest list or largest map a macro or `in` may iterate. */
  readonly maxIteratedSize: number
}

export const DEFAULT_EVALUATION_LIMITS: EvaluationLimits = Object.freeze({
  maxCost: DEFAULT_MAX_EVALUATION_COST,
  maxIteratedSize: DEFAULT_MAX_ITERATED_SIZE,
})

// The evaluation running now. Evaluation is synchronous, so one slot is enough; `run`
// saves and restores it so that nothing leaks from one evaluation into the next.
interface Running {
  remaining: number
  readonly maxIteratedSize: number
  exhausted: ConditionEvaluationError | undefined
}
let current: Running | undefined

function charge(units: number): void {
  // Fail closed: a guarded node evaluated outside `runWithin` has no budget at all.
  if (current === undefined) throw budgetExceeded()
  current.remaining -= units
  // Once spent, every later step fails too (cel-js absorbs some errors, e.g. in
  // `error || true`; the next step then fails again). One error object is reused so that
  // the remaining steps of a long loop fail cheaply.
  if (current.remaining < 0) {
    current.exhausted ??= budgetExceeded()
    throw current.exhausted
  }
}

function budgetExceeded(): ConditionEvaluationError {
  return new ConditionEvaluationError(
    'EVAL_BUDGET_EXCEEDED',
    'the condition needed more work than its evaluation budget allows',
  )
}

/**
 * Runs `evaluate` with a fresh budget; any guarded node it evaluates draws on it. An
 * evaluation that ran out fails, even where CEL would absorb the error (`error || true`).
 */
export function runWithin<T>(limits: EvaluationLimits, evaluate: () => T): T {
  const saved = current
  const running: Running = {
    remaining: limits.maxCost,
    maxIteratedSize: limits.maxIteratedSize,
    exhausted: undefined,
  }
  current = running
  try {
    const result = evaluate()
    if (running.exhausted !== undefined) throw running.exhausted
    return result
  } finally {
    current = saved
  }
}

// --- Values -----------------------------------------------------------------------

type Kind =
  | 'null'
  | 'bool'
  | 'string'
  | 'number'
  | 'list'
  | 'map'
  | 'timestamp'
  | 'duration'
  | 'bytes'
  | 'type'
  | 'other'

function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case 'boolean':
      return 'bool'
    case 'string':
      return 'string'
    case 'number':
    case 'bigint':
      return 'number'
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value) || value instanceof Set) return 'list'
      if (value instanceof Date) return 'timestamp'
      if (value instanceof Uint8Array) return 'bytes'
      if (value instanceof Map) return 'map'
      const prototype = Object.getPrototypeOf(value) as object | null
      if (prototype === null || prototype === Object.prototype) return 'map'
      // cel-js's own classes are not exported; they are recognised by name.
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name
      if (name === 'UnsignedInt') return 'number'
      if (name === 'Duration') return 'duration'
      if (name === 'Type') return 'type'
      return 'other'
    }
    default:
      return 'other'
  }
}

/** The cost of handing `value` to an operation: its elements, or its characters / 32. */
function sizeCost(value: unknown): number {
  if (typeof value === 'string') return Math.ceil(value.length / CHARACTERS_PER_COST_UNIT)
  if (typeof value !== 'object' || value === null) return 0
  if (Array.isArray(value)) return value.length
  if (value instanceof Uint8Array) return Math.ceil(value.length / CHARACTERS_PER_COST_UNIT)
  if (value instanceof Set || value instanceof Map) return value.size
  if (kindOf(value) === 'map') return Object.keys(value).length
  return 0
}

function sizeOf(value: unknown): number {
  if (Array.isArray(value)) return value.length
  if (value instanceof Set || value instanceof Map) return value.size
  if (typeof value === 'object' && value !== null) return Object.keys(value).length
  return 0
}

function numeric(value: unknown): number | bigint {
  return typeof value === 'object' && value !== null
    ? (value as { valueOf(): bigint }).valueOf()
    : (value as number | bigint)
}

function mismatch(operator: string, left: Kind, right: Kind): ConditionEvaluationError {
  return new ConditionEvaluationError(
    'EVAL_TYPE_MISMATCH',
    `cannot compare ${left} ${operator} ${right}: the values have different types`,
  )
}

function hasOwn(value: object, key: string): boolean {
  return Object.hasOwn(value, key)
}

/**
 * CEL equality, strict about types: values of different types are an error, never
 * `false`. Numbers compare by value whatever their CEL type (`250 == 250.0`). Lists
 * and maps compare element by element; each element visited costs one unit.
 */
export function strictEquals(left: unknown, right: unknown): boolean {
  charge(1)
  const type = typeof left
  if (type === typeof right && (type === 'number' || type === 'boolean')) return left === right
  const leftKind = kindOf(left)
  const rightKind = kindOf(right)
  if (leftKind !== rightKind) throw mismatch('==', leftKind, rightKind)
  switch (leftKind) {
    case 'null':
      return true
    case 'bool':
      return left === right
    case 'string':
      charge(Math.ceil((left as string).length / CHARACTERS_PER_COST_UNIT))
      return left === right
    case 'number':
      // Loose equality compares a bigint with a number by value: 250n == 250.0.
      // biome-ignore lint/suspicious/noDoubleEquals: numeric comparison across int and double
      return numeric(left) == numeric(right)
    case 'timestamp':
      return (left as Date).getTime() === (right as Date).getTime()
    case 'duration': {
      const a = left as { seconds: unknown; nanos: unknown }
      const b = right as { seconds: unknown; nanos: unknown }
      return a.seconds === b.seconds && a.nanos === b.nanos
    }
    case 'bytes': {
      const a = left as Uint8Array
      const b = right as Uint8Array
      charge(Math.ceil(a.length / CHARACTERS_PER_COST_UNIT))
      if (a.length !== b.length) return false
      for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false
      return true
    }
    case 'list': {
      const a = Array.isArray(left) ? left : [...(left as Set<unknown>)]
      const b = Array.isArray(right) ? right : [...(right as Set<unknown>)]
      if (a.length !== b.length) return false
      for (let index = 0; index < a.length; index++)
        if (!strictEquals(a[index], b[index])) return false
      return true
    }
    case 'map':
      return mapsEqual(left, right)
    default:
      return left === right
  }
}

function mapsEqual(left: unknown, right: unknown): boolean {
  // Reading a map's entries takes time in its size, even when they differ at once.
  charge(sizeOf(left) + sizeOf(right))
  const a = entriesOf(left)
  const b = right instanceof Map ? right : undefined
  const plain = b === undefined ? (right as Record<string, unknown>) : undefined
  if (a.length !== sizeOf(right)) return false
  for (const [key, value] of a) {
    if (b !== undefined) {
      if (!b.has(key) || !strictEquals(value, b.get(key))) return false
    } else if (typeof key !== 'string' || !hasOwn(plain!, key) || !strictEquals(value, plain![key]))
      return false
  }
  return true
}

function entriesOf(map: unknown): [unknown, unknown][] {
  if (map instanceof Map) return [...map.entries()]
  return Object.entries(map as Record<string, unknown>)
}

/** CEL `in`: membership in a list (by {@link strictEquals}) or among a map's keys (strings). */
function strictIn(needle: unknown, haystack: unknown): boolean {
  const kind = kindOf(haystack)
  if (kind === 'list') {
    limitIterated(haystack)
    for (const element of haystack as Iterable<unknown>)
      if (strictEquals(needle, element)) return true
    return false
  }
  if (kind === 'map') {
    // A key lookup: nothing is iterated.
    if (haystack instanceof Map) {
      const keyKind = haystack.size === 0 ? kindOf(needle) : kindOf(haystack.keys().next().value)
      if (keyKind !== kindOf(needle)) throw mismatch('in', kindOf(needle), keyKind)
      return haystack.has(needle)
    }
    // A JSON object's keys are strings: any other needle is a type error.
    if (typeof needle !== 'string') throw mismatch('in', kindOf(needle), 'string')
    return hasOwn(haystack as object, needle)
  }
  throw new ConditionEvaluationError(
    'EVAL_TYPE_MISMATCH',
    `cannot test membership in a ${kind}: \`in\` needs a list or a map`,
  )
}

const ORDERED: ReadonlySet<Kind> = new Set(['bool', 'string', 'number', 'timestamp', 'duration'])

function limitIterated(collection: unknown): void {
  const size = sizeOf(collection)
  const limit = current?.maxIteratedSize ?? 0
  if (size > limit) {
    throw new ConditionEvaluationError(
      'EVAL_SIZE_LIMIT',
      `a macro or \`in\` would iterate ${size} elements; at most ${limit} are allowed`,
    )
  }
}

// --- The tree -----------------------------------------------------------------------

interface Meta {
  readonly evaluate: NodeEvaluate
  readonly alternate?: Node
  readonly macro?: { evaluate: NodeEvaluate; args?: unknown }
}

type NodeEvaluate = (evaluator: Interpreter, node: never, context: unknown) => unknown

interface Interpreter {
  run(node: Node, context: unknown): unknown
}

interface Node {
  readonly op: string
  readonly args: unknown
  readonly meta: Meta
  evaluate: (evaluator: Interpreter, node: Node, context: unknown) => unknown
  readonly handle?: (...values: unknown[]) => unknown
  readonly receiverWithArgs?: readonly Node[]
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { op?: unknown }).op === 'string' &&
    typeof (value as { meta?: unknown }).meta === 'object'
  )
}

const isNullLiteral = (node: unknown): boolean =>
  isNode(node) && node.op === 'value' && node.args === null

// What the library would do for `node`, read at call time (the library may replace it).
function dispatch(evaluator: Interpreter, node: Node, context: unknown): unknown {
  const meta = node.meta
  if (meta.alternate !== undefined)
    return meta.alternate.evaluate(evaluator, meta.alternate, context)
  if (meta.macro !== undefined) return meta.macro.evaluate(evaluator, meta.macro as never, context)
  return meta.evaluate(evaluator, node as never, context)
}

function operands(node: Node): [Node, Node] {
  return node.args as [Node, Node]
}

function guardComparison(node: Node): void {
  const operator = node.op
  const [leftNode, rightNode] = operands(node)
  if (operator === '==' || operator === '!=') {
    // `x == null` and `x != null` are presence tests: the only comparison across types.
    const presence = isNullLiteral(leftNode) || isNullLiteral(rightNode)
    const negate = operator === '!='
    node.evaluate = (evaluator, _node, context) => {
      charge(1)
      const left = evaluator.run(leftNode, context)
      const right = evaluator.run(rightNode, context)
      const equal = presence ? left === null && right === null : strictEquals(left, right)
      return negate ? !equal : equal
    }
    return
  }
  if (operator === 'in') {
    node.evaluate = (evaluator, _node, context) => {
      charge(1)
      return strictIn(evaluator.run(leftNode, context), evaluator.run(rightNode, context))
    }
    return
  }
  // <, <=, >, >=: same kind (any two numbers count as one kind), then the library's own.
  node.evaluate = (evaluator, self, context) => {
    charge(1)
    const left = evaluator.run(leftNode, context)
    const right = evaluator.run(rightNode, context)
    if (typeof left !== 'number' || typeof right !== 'number') {
      const leftKind = kindOf(left)
      const rightKind = kindOf(right)
      if (leftKind !== rightKind || !ORDERED.has(leftKind))
        throw mismatch(operator, leftKind, rightKind)
      charge(sizeCost(left) + sizeCost(right))
    }
    return (self.handle as (l: unknown, r: unknown, n: Node, e: Interpreter) => unknown)(
      left,
      right,
      self,
      evaluator,
    )
  }
}

function guardComprehension(node: Node): void {
  const args = node.args as { readonly iterable: Node }
  node.evaluate = (evaluator, self, context) => {
    charge(1)
    const items = evaluator.run(args.iterable, context)
    limitIterated(items)
    charge(sizeOf(items))
    return (self.handle as (i: unknown, a: unknown, e: Interpreter, c: unknown) => unknown)(
      items,
      self.args,
      evaluator,
      context,
    )
  }
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>=', 'in'])
const ARITHMETIC = new Set(['+', '-', '*', '/', '%'])
const FREE = new Set(['value', 'id', '.', '.?', 'accuValue'])

type Handle = (...values: unknown[]) => unknown

function guardNode(node: Node): void {
  const meta = node.meta
  const plain = meta.alternate === undefined && meta.macro === undefined
  if (plain && COMPARISONS.has(node.op)) {
    guardComparison(node)
    return
  }
  if (plain && node.op === 'comprehension') {
    guardComprehension(node)
    return
  }
  // Functions and arithmetic pay for the size of what they are given: a `contains` on a
  // long string, a concatenation of long lists.
  if (plain && ARITHMETIC.has(node.op)) {
    const [leftNode, rightNode] = operands(node)
    node.evaluate = (evaluator, self, context) => {
      charge(1)
      const left = evaluator.run(leftNode, context)
      const right = evaluator.run(rightNode, context)
      charge(sizeCost(left) + sizeCost(right))
      return (self.handle as Handle)(left, right, self, evaluator)
    }
    return
  }
  if (plain && node.op === 'rcall') {
    const nodes = node.receiverWithArgs ?? []
    node.evaluate = (evaluator, self, context) => {
      charge(1)
      const values = nodes.map((item) => evaluator.run(item, context))
      for (const value of values) charge(sizeCost(value))
      return (self.handle as Handle)(values, evaluator, self)
    }
    return
  }
  if (plain && node.op === 'call') {
    const nodes = (node.args as [string, readonly Node[]])[1]
    node.evaluate = (evaluator, self, context) => {
      charge(1)
      const values = nodes.map((item) => evaluator.run(item, context))
      for (const value of values) charge(sizeCost(value))
      return (self.handle as Handle)(values, self, evaluator)
    }
    return
  }
  // Constants, variables and field reads do constant work and loop over nothing; the
  // operators around them pay. Every comprehension step is a ternary or an accumulator
  // node, which pays, so each iteration costs at least one unit.
  if (plain && FREE.has(node.op)) return
  node.evaluate = (evaluator, self, context) => {
    charge(1)
    return dispatch(evaluator, self, context)
  }
}

/**
 * Installs Writ's guards on every node of a parsed and type-checked cel-js tree,
 * including the trees macros expand to. Call it once, right after `check()`.
 */
export function guardTree(root: unknown): void {
  const seen = new WeakSet<object>()
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item)
      return
    }
    if (typeof value !== 'object' || value === null || seen.has(value)) return
    seen.add(value)
    if (isNode(value)) {
      guardNode(value)
      visit(value.args)
      visit(value.meta.alternate)
      visit(value.meta.macro?.args)
      return
    }
    // A comprehension's arguments: iterable, init, step.
    const record = value as Record<string, unknown>
    for (const key of ['iterable', 'init', 'step']) visit(record[key])
  }
  visit(root)
}
