/**
 * What the linter reads in a condition: every `args` path it reads (with the offset of
 * the read), the paths it guards with `has()` or `in`, and its comparisons.
 */
import { parseExpressionTree } from '@writ/core/internal'

interface Node {
  readonly op: string
  readonly args: unknown
  readonly start?: number
}

/** One read of `args.a.b`, as the path `['a', 'b']`. */
export interface ArgRead {
  readonly path: readonly string[]
  readonly offset: number
}

/** A comparison of a read with a literal: `args.amount <= 500` is `{ op: '<=', literal: 500 }`. */
export interface Comparison {
  readonly read: ArgRead
  /** The operator with the read on the left (`500 >= args.amount` is read as `args.amount <= 500`). */
  readonly op: '==' | '!=' | '<' | '<=' | '>' | '>='
  readonly literal: unknown
  readonly offset: number
}

/** What one expression reads. */
export interface ExpressionFacts {
  readonly reads: readonly ArgRead[]
  /** Paths guarded by `has(args.…)` or `'x' in args.…`, joined with `.`. */
  readonly guarded: ReadonlySet<string>
  readonly comparisons: readonly Comparison[]
  /** Reads on which a string method is called (`startsWith`, `endsWith`, `contains`, `matches`). */
  readonly stringCalls: readonly ArgRead[]
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>='])
const MIRROR: Readonly<Record<string, Comparison['op']>> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
}
const STRING_METHODS = new Set(['startsWith', 'endsWith', 'contains', 'matches'])

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && typeof (value as Node).op === 'string'
}

/** The `args` path a node reads (`args.a['b']` → `['a', 'b']`), or undefined. */
export function argPath(node: unknown): string[] | undefined {
  if (!isNode(node)) return undefined
  if (node.op === 'id') return node.args === 'args' ? [] : undefined
  const parts = node.args as readonly unknown[]
  if (node.op === '.' || node.op === '.?') {
    const base = argPath(parts[0])
    return base === undefined || typeof parts[1] !== 'string' ? undefined : [...base, parts[1]]
  }
  if (node.op === '[]' || node.op === '[?]') {
    const base = argPath(parts[0])
    const key = parts[1]
    if (base === undefined || !isNode(key) || key.op !== 'value') return undefined
    return typeof key.args === 'string' ? [...base, key.args] : undefined
  }
  return undefined
}

function literalOf(node: unknown): { value: unknown } | undefined {
  if (!isNode(node)) return undefined
  if (node.op === 'value') {
    const value = node.args
    return { value: typeof value === 'bigint' ? Number(value) : value }
  }
  if (node.op === '-_') {
    const inner = literalOf(node.args)
    if (inner !== undefined && typeof inner.value === 'number') return { value: -inner.value }
  }
  return undefined
}

interface Collector {
  readonly reads: ArgRead[]
  readonly guarded: Set<string>
  readonly comparisons: Comparison[]
  readonly stringCalls: ArgRead[]
}

function noteComparison(node: Node, found: Collector): void {
  const [left, right] = node.args as readonly unknown[]
  const offset = node.start ?? 0
  const leftPath = argPath(left)
  const rightPath = argPath(right)
  const leftLiteral = literalOf(left)
  const rightLiteral = literalOf(right)
  const op = node.op as Comparison['op']
  if (leftPath !== undefined && rightLiteral !== undefined)
    found.comparisons.push({
      read: { path: leftPath, offset },
      op,
      literal: rightLiteral.value,
      offset,
    })
  else if (rightPath !== undefined && leftLiteral !== undefined)
    found.comparisons.push({
      read: { path: rightPath, offset },
      op: MIRROR[op] ?? op,
      literal: leftLiteral.value,
      offset,
    })
}

function noteCall(node: Node, found: Collector): void {
  const parts = node.args as readonly unknown[]
  if (node.op === 'call' && parts[0] === 'has') {
    const path = argPath((parts[1] as readonly unknown[] | undefined)?.[0])
    if (path !== undefined) found.guarded.add(path.join('.'))
  }
  if (node.op === 'rcall' && typeof parts[0] === 'string' && STRING_METHODS.has(parts[0])) {
    const path = argPath(parts[1])
    if (path !== undefined && path.length > 0)
      found.stringCalls.push({ path, offset: node.start ?? 0 })
  }
}

function walk(value: unknown, found: Collector): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, found)
    return
  }
  if (!isNode(value)) return
  const path = argPath(value)
  if (path !== undefined) {
    if (path.length > 0) found.reads.push({ path, offset: value.start ?? 0 })
    return
  }
  if (COMPARISONS.has(value.op)) noteComparison(value, found)
  if (value.op === 'call' || value.op === 'rcall') noteCall(value, found)
  if (value.op === 'in') {
    const [key, container] = value.args as readonly unknown[]
    const base = argPath(container)
    const literal = literalOf(key)
    if (base !== undefined && literal !== undefined && typeof literal.value === 'string')
      found.guarded.add([...base, literal.value].join('.'))
  }
  if (value.op !== 'value') walk(value.args, found)
}

/** Reads an expression's facts; throws when it is not valid CEL. */
export function expressionFacts(source: string): ExpressionFacts {
  const found: Collector = { reads: [], guarded: new Set(), comparisons: [], stringCalls: [] }
  walk(parseExpressionTree(source), found)
  return found
}
