import { type Digest, digestOf, type JsonValue } from '@writ/verify'
import { canonicalize, deepFreeze } from '@writ/verify/internal'
import type { z } from 'zod'
import type { ExpressionLimits } from './cel.js'
import { PolicyEvaluator } from './evaluate.js'
import { detectFormat, type ParsedSource, type PolicyFormat, parseSource } from './parse-source.js'
import { formatPath, type PolicyErrorCode, policyError } from './policy-problem.js'
import type { CompiledPolicy } from './policy-types.js'
import {
  type CodedProblem,
  type Findings,
  type PrepareContext,
  prepareLimits,
  prepareRules,
} from './prepare-rules.js'
import { type PolicyDocument, policyDocumentSchema } from './schema.js'
import { assertPolicySelfTests } from './self-test.js'

/** Options of {@link compilePolicy}. */
export interface CompilePolicyOptions {
  /** Where the policy came from (a file name), for error details and `CompiledPolicy.source`. */
  readonly source?: string
  /** The text's format; by default JSON when `source` ends in `.json`, else YAML. */
  readonly format?: PolicyFormat
  /** How many action names each rule index remembers (LRU). Default 4096. */
  readonly actionCacheSize?: number
  /**
   * The work one evaluation of a condition (or limit `sum`) may do, in cost units (see
   * docs/policy.md, "Evaluation cost"). Past it the condition fails with
   * `EVAL_BUDGET_EXCEEDED` and the decision is DENY `EVAL_ERROR`. Default 1,000,000.
   */
  readonly maxEvaluationCost?: number
  /**
   * The longest list (or largest map) a macro (`all`, `exists`, `exists_one`, `map`,
   * `filter`) or `in` may iterate; a longer one fails with `EVAL_SIZE_LIMIT` and the
   * decision is DENY `EVAL_ERROR`. Default 10,000.
   */
  readonly maxIteratedSize?: number
  /**
   * Whether to run the document's self-tests (`tests:`) and throw `POLICY_SELF_TEST_FAILED`
   * when one fails. Default true. Tools that report every test themselves (`writ policy
   * test`) turn it off; a gate runs the self-tests again whatever this says.
   */
  readonly selfTests?: boolean
}

function positiveInteger(
  value: number | undefined,
  name: string,
  source: string | undefined,
): number | undefined {
  if (value === undefined) return undefined
  if (!Number.isSafeInteger(value) || value < 1)
    throw policyError('POLICY_INVALID', source, [
      { path: '', message: `option ${name} must be a positive integer` },
    ])
  return value
}

/** The id of the rule or limit a path points into (`rules[2]…` → that rule's id). */
function ownerId(model: unknown, path: readonly PropertyKey[]): string | undefined {
  const [list, index] = path
  if ((list !== 'rules' && list !== 'limits') || typeof index !== 'number') return undefined
  if (typeof model !== 'object' || model === null) return undefined
  const items = (model as Record<string, unknown>)[list]
  if (!Array.isArray(items)) return undefined
  const item: unknown = items[index]
  if (typeof item !== 'object' || item === null) return undefined
  const id = (item as Record<string, unknown>)['id']
  return typeof id === 'string' ? id : undefined
}

function throwProblems(source: string | undefined, problems: readonly CodedProblem[]): never {
  // A document that is not even valid reports POLICY_INVALID; one that is valid but unsafe, POLICY_UNSAFE.
  const code: PolicyErrorCode = problems.some((problem) => problem.code === 'POLICY_INVALID')
    ? 'POLICY_INVALID'
    : 'POLICY_UNSAFE'
  throw policyError(code, source, problems)
}

function schemaProblems(
  issues: readonly z.core.$ZodIssue[],
  model: unknown,
  locate: ParsedSource['locate'],
): CodedProblem[] {
  return issues.map((issue) => {
    const path: PropertyKey[] = [...issue.path]
    let message = issue.message
    if (issue.code === 'unrecognized_keys') {
      message = `unknown member${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `\`${key}\``).join(', ')}`
      if (issue.keys.length === 1) path.push(issue.keys[0]!)
    }
    const ruleId = ownerId(model, path)
    const where = locate(path)
    return {
      code: 'POLICY_INVALID',
      path: formatPath(path),
      message,
      ...(ruleId === undefined ? {} : { ruleId }),
      ...(where ?? {}),
    }
  })
}

/**
 * Compiles a policy once: reads YAML 1.2 (core schema) or JSON, validates it strictly,
 * computes its version digest, compiles every CEL expression and indexes the rules by
 * action. Throws a `WritError` `POLICY_INVALID` (malformed document, syntax or type
 * errors) or `POLICY_UNSAFE` (unknown variables, unsafe regular expressions, limits
 * exceeded) whose `details` carry `source`, `path`, `ruleId`, `line`, `column` and
 * every `problems` found. Then runs the document's self-tests (`tests:`) and throws
 * `POLICY_SELF_TEST_FAILED`, naming the failing test, when one does not decide as expected.
 *
 * @param input Policy text, or the document as JSON data.
 * @example
 * ```ts
 * const policy = compilePolicy(readFileSync('policy.yaml', 'utf8'), { source: 'policy.yaml' })
 * policy.evaluate({ action: 'payments.transfer', args: { amount: 250 }, agent: 'bot-7', context: {}, now: 1_700_000_000 })
 * ```
 */
export function compilePolicy(
  input: string | PolicyDocument | JsonValue,
  options: CompilePolicyOptions = {},
): CompiledPolicy {
  const { source } = options
  const expressionLimits = expressionLimitsOf(options)
  const parsed = parseInput(input, options)
  const document = validateDocument(parsed, source)
  const digest = digestOfModel(parsed.model, source)
  const findings: Findings = { problems: [], warnings: [] }
  const context: PrepareContext = { source, locate: parsed.locate, expressionLimits, findings }
  const { rules, ids } = prepareRules(context, document.rules)
  const limits = prepareLimits(context, document.limits ?? [], ids)
  if (findings.problems.length > 0) throwProblems(source, findings.problems)
  const evaluator = new PolicyEvaluator(
    rules,
    limits,
    options.actionCacheSize === undefined ? {} : { cacheSize: options.actionCacheSize },
  )
  const compiled: CompiledPolicy = Object.freeze({
    id: document.id,
    digest,
    document,
    source,
    warnings: Object.freeze(findings.warnings),
    evaluate: (evaluationInput) => evaluator.evaluate(evaluationInput),
    explain: (evaluationInput) => evaluator.explain(evaluationInput),
    readsHistory: (action) => evaluator.readsHistory(action),
  } satisfies CompiledPolicy)
  if (options.selfTests !== false) assertPolicySelfTests(compiled)
  return compiled
}

function expressionLimitsOf(options: CompilePolicyOptions): ExpressionLimits {
  const { source } = options
  const maxEvaluationCost = positiveInteger(options.maxEvaluationCost, 'maxEvaluationCost', source)
  const maxIteratedSize = positiveInteger(options.maxIteratedSize, 'maxIteratedSize', source)
  return {
    ...(maxEvaluationCost === undefined ? {} : { maxEvaluationCost }),
    ...(maxIteratedSize === undefined ? {} : { maxIteratedSize }),
  }
}

/** The text (or data) read into a model; a document given as data goes through the same JSON checks, via its JSON text. */
function parseInput(
  input: string | PolicyDocument | JsonValue,
  options: CompilePolicyOptions,
): ParsedSource & { readonly model: JsonValue } {
  const { source } = options
  const parsed =
    typeof input === 'string'
      ? parseSource(input, detectFormat(source, options.format))
      : { ...parseSource(jsonTextOf(input, source), 'json'), locate: () => undefined }
  if (parsed.problems.length > 0 || parsed.model === undefined) {
    throwProblems(
      source,
      parsed.problems.map((problem) => ({ ...problem, code: 'POLICY_INVALID' })),
    )
  }
  return parsed as ParsedSource & { readonly model: JsonValue }
}

function jsonTextOf(input: unknown, source: string | undefined): string {
  let text: string
  try {
    text = JSON.stringify(input)
  } catch (error) {
    throw policyError('POLICY_INVALID', source, [
      { path: '', message: `policy is not JSON data: ${(error as Error).message}` },
    ])
  }
  if (typeof text !== 'string')
    throw policyError('POLICY_INVALID', source, [{ path: '', message: 'policy is not JSON data' }])
  return text
}

/** The model checked against the schema, frozen. */
function validateDocument(parsed: ParsedSource, source: string | undefined): PolicyDocument {
  const result = policyDocumentSchema.safeParse(parsed.model)
  if (!result.success)
    throwProblems(source, schemaProblems(result.error.issues, parsed.model, parsed.locate))
  // Typed here so the schema and the documented PolicyDocument cannot drift apart.
  const document: PolicyDocument = deepFreeze(result.data)
  return document
}

/** The policy's version: the digest of its canonical JSON. */
function digestOfModel(model: JsonValue, source: string | undefined): Digest {
  try {
    return digestOf(canonicalize(model))
  } catch (error) {
    throw policyError('POLICY_INVALID', source, [
      { path: '', message: `policy cannot be canonicalized: ${(error as Error).message}` },
    ])
  }
}

/**
 * Reads and compiles a policy file (`.json` as JSON, anything else as YAML).
 * Throws `POLICY_INVALID` when the file cannot be read, with `details.source` the path.
 */
export async function loadPolicyFile(
  path: string,
  options: Omit<CompilePolicyOptions, 'source'> = {},
): Promise<CompiledPolicy> {
  const { readFile } = await import('node:fs/promises')
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw policyError('POLICY_INVALID', path, [
      { path: '', message: `cannot read the policy file: ${(error as Error).message}` },
    ])
  }
  return compilePolicy(text, { ...options, source: path })
}
