/**
 * The linter's checks that read conditions against the tools' argument schemas:
 * unknown fields, type mismatches, optional fields read without `has()`, and numeric
 * amounts a permit bounds from above only.
 */
import type { ExpressionFacts } from './expressions.js'
import type { JsonSchema } from './tools.js'

/** A finding before it is located in the file: its code, what it says, where in the expression. */
export interface RawFinding {
  readonly code: string
  readonly message: string
  /** Offset in the expression, when the finding is in one. */
  readonly offset?: number
}

/** The schema at `path` under `schema`, `null` when it declares no such field, undefined when unknown (free-form). */
export function schemaAt(
  schema: JsonSchema,
  path: readonly string[],
): JsonSchema | null | undefined {
  let current: JsonSchema = schema
  for (const key of path) {
    if (current.properties === undefined) return undefined
    const next = current.properties[key]
    if (next === undefined) {
      return current.additionalProperties === undefined ||
        current.additionalProperties === false ||
        current.additionalProperties === true
        ? null
        : undefined
    }
    current = next
  }
  return current
}

function typesOf(schema: JsonSchema): readonly string[] {
  if (schema.type === undefined) return []
  return typeof schema.type === 'string' ? [schema.type] : schema.type
}

function isNumeric(schema: JsonSchema): boolean {
  const types = typesOf(schema)
  return types.length > 0 && types.every((type) => type === 'number' || type === 'integer')
}

function allowsNegative(schema: JsonSchema): boolean {
  if (schema.minimum !== undefined && schema.minimum >= 0) return false
  if (typeof schema.exclusiveMinimum === 'number' && schema.exclusiveMinimum >= 0) return false
  return true
}

/** Reads of fields the tool's schema does not declare (WL101). */
export function unknownFields(
  tool: string,
  schema: JsonSchema,
  facts: ExpressionFacts,
): RawFinding[] {
  const seen = new Set<string>()
  const found: RawFinding[] = []
  for (const read of facts.reads) {
    const key = read.path.join('.')
    if (seen.has(key) || schemaAt(schema, read.path) !== null) continue
    seen.add(key)
    found.push({
      code: 'WL101',
      message: `args.${key} is not a field of tool ${tool}'s arguments`,
      offset: read.offset,
    })
  }
  return found
}

function literalType(value: unknown): string {
  if (typeof value === 'number') return 'number'
  if (value === null) return 'null'
  return typeof value
}

function mismatch(schema: JsonSchema, literal: string): boolean {
  const types = typesOf(schema)
  if (types.length === 0 || literal === 'null') return false
  const accepts = types.some((type) =>
    type === 'integer' || type === 'number' ? literal === 'number' : type === literal,
  )
  return !accepts
}

/** Comparisons of a field with a literal of another type, string methods on non-strings (WL102). */
export function typeMismatches(
  tool: string,
  schema: JsonSchema,
  facts: ExpressionFacts,
): RawFinding[] {
  const found: RawFinding[] = []
  for (const comparison of facts.comparisons) {
    const field = schemaAt(schema, comparison.read.path)
    const literal = literalType(comparison.literal)
    if (field && mismatch(field, literal))
      found.push({
        code: 'WL102',
        message: `args.${comparison.read.path.join('.')} is ${typesOf(field).join(' or ')} in tool ${tool}'s schema but is compared with a ${literal}`,
        offset: comparison.offset,
      })
  }
  for (const call of facts.stringCalls) {
    const field = schemaAt(schema, call.path)
    if (field && mismatch(field, 'string'))
      found.push({
        code: 'WL102',
        message: `a string method is called on args.${call.path.join('.')}, which is ${typesOf(field).join(' or ')} in tool ${tool}'s schema`,
        offset: call.offset,
      })
  }
  return found
}

function isRequired(schema: JsonSchema, path: readonly string[]): boolean {
  let current: JsonSchema = schema
  for (const key of path) {
    if (current.properties?.[key] === undefined) return true
    if (!(current.required ?? []).includes(key)) return false
    current = current.properties[key]
  }
  return true
}

function guardedBy(facts: ExpressionFacts, path: readonly string[]): boolean {
  for (let length = path.length; length > 0; length--)
    if (facts.guarded.has(path.slice(0, length).join('.'))) return true
  return false
}

/** Optional fields read without a `has()` (or `in`) guard (WL103). */
export function unguardedOptionals(
  tool: string,
  schema: JsonSchema,
  facts: ExpressionFacts,
): RawFinding[] {
  const seen = new Set<string>()
  const found: RawFinding[] = []
  for (const read of facts.reads) {
    const key = read.path.join('.')
    if (seen.has(key) || isRequired(schema, read.path) || guardedBy(facts, read.path)) continue
    seen.add(key)
    found.push({
      code: 'WL103',
      message: `args.${key} is optional in tool ${tool}'s schema and read without has(args.${key}); when it is absent the condition fails (EVAL_ERROR)`,
      offset: read.offset,
    })
  }
  return found
}

function bounds(facts: ExpressionFacts, key: string): { upper: boolean; lower: boolean } {
  let upper = false
  let lower = false
  for (const comparison of facts.comparisons) {
    if (comparison.read.path.join('.') !== key || typeof comparison.literal !== 'number') continue
    if (comparison.op === '<' || comparison.op === '<=') upper = true
    if ((comparison.op === '>' || comparison.op === '>=') && comparison.literal >= 0) lower = true
    if (comparison.op === '==' && comparison.literal >= 0) lower = true
  }
  return { upper, lower }
}

/** Numeric fields a permit bounds from above but not from below while the schema allows negatives (WL201). */
export function unboundedAmounts(
  tool: string,
  schema: JsonSchema,
  facts: ExpressionFacts,
): RawFinding[] {
  const seen = new Set<string>()
  const found: RawFinding[] = []
  for (const comparison of facts.comparisons) {
    const key = comparison.read.path.join('.')
    const field = schemaAt(schema, comparison.read.path)
    if (seen.has(key) || !field || !isNumeric(field) || !allowsNegative(field)) continue
    seen.add(key)
    const { upper, lower } = bounds(facts, key)
    if (upper && !lower)
      found.push({
        code: 'WL201',
        message: `this permit caps args.${key} from above only, and tool ${tool}'s schema allows it to be negative: add args.${key} > 0 (or a minimum in the schema)`,
        offset: comparison.offset,
      })
  }
  return found
}
