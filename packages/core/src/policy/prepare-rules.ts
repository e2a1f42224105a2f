/**
 * The second half of compiling a policy: every rule and limit of a validated document
 * prepared for the evaluator, its CEL expressions compiled, each problem and warning
 * recorded with where it is in the source.
 */
import {
  compileAmount,
  compileCondition,
  type ExpressionLimits,
  type ExpressionLocation,
  type ExpressionWarning,
} from './cel.js'
import { POLICY_REASONS, type PreparedLimit, type PreparedRule } from './evaluate.js'
import type { ParsedSource } from './parse-source.js'
import { formatPath, type PolicyErrorCode, type PolicyProblem } from './policy-problem.js'
import type { ApprovalRequirement } from './policy-types.js'
import {
  DEFAULT_HOLD_TTL_SECONDS,
  type PolicyLimit,
  type PolicyRule,
  windowSeconds,
} from './schema.js'

/** A problem with the error code it calls for. */
export interface CodedProblem extends PolicyProblem {
  readonly code: PolicyErrorCode
}

/** What preparing found: every problem (nothing compiles if any) and every warning. */
export interface Findings {
  readonly problems: CodedProblem[]
  readonly warnings: PolicyProblem[]
}

/** Where and how expressions are compiled. */
export interface PrepareContext {
  readonly source: string | undefined
  readonly locate: ParsedSource['locate']
  readonly expressionLimits: ExpressionLimits
  readonly findings: Findings
}

type Path = PropertyKey[]

function locationOf(context: PrepareContext, path: Path, ruleId: string): ExpressionLocation {
  return {
    path: formatPath(path),
    ruleId,
    ...(context.source === undefined ? {} : { source: context.source }),
  }
}

function recordError(context: PrepareContext, error: unknown, path: Path, ruleId: string): void {
  const failure = error as { details?: { problems?: PolicyProblem[] }; code?: PolicyErrorCode }
  const code = failure.code === 'POLICY_UNSAFE' ? 'POLICY_UNSAFE' : 'POLICY_INVALID'
  // Positions are looked up only here, on failure: locating is slow for large documents.
  const position = context.locate(path) ?? {}
  const found = failure.details?.problems ?? [
    { ...locationOf(context, path, ruleId), message: String(error) },
  ]
  for (const problem of found) context.findings.problems.push({ ...problem, ...position, code })
}

function recordWarnings(
  context: PrepareContext,
  found: readonly ExpressionWarning[],
  path: Path,
  ruleId: string,
): void {
  if (found.length === 0) return
  const position = context.locate(path) ?? {}
  for (const warning of found) {
    const at = warning.offset === undefined ? '' : ` (at offset ${warning.offset})`
    context.findings.warnings.push({
      path: formatPath(path),
      ruleId,
      message: `${warning.message}${at}`,
      ...position,
    })
  }
}

function recordDuplicate(context: PrepareContext, path: Path, id: string, message: string): void {
  context.findings.problems.push({
    code: 'POLICY_INVALID',
    path: formatPath(path),
    ruleId: id,
    message,
    ...(context.locate(path) ?? {}),
  })
}

/** Compiles one expression; a failure is recorded and leaves `undefined`. */
function compileAt<T extends { readonly warnings: readonly ExpressionWarning[] }>(
  context: PrepareContext,
  compile: (text: string, location: ExpressionLocation, limits: ExpressionLimits) => T,
  text: string | undefined,
  path: Path,
  id: string,
): T | undefined {
  if (text === undefined) return undefined
  try {
    const compiled = compile(text, locationOf(context, path, id), context.expressionLimits)
    recordWarnings(context, compiled.warnings, path, id)
    return compiled
  } catch (error) {
    recordError(context, error, path, id)
    return undefined
  }
}

const defaultReasons = {
  permit: 'RULE_PERMIT',
  deny: 'RULE_DENY',
  approve: 'APPROVAL_REQUIRED',
} as const

function approvalOf(rule: PolicyRule): ApprovalRequirement {
  return Object.freeze({
    group: rule.approvers ?? '',
    quorum: rule.quorum ?? 1,
    ttlSeconds: rule.ttl === undefined ? DEFAULT_HOLD_TTL_SECONDS : windowSeconds(rule.ttl),
  })
}

/** The rules, prepared in document order; a repeated id is a problem. */
export function prepareRules(
  context: PrepareContext,
  rules: readonly PolicyRule[],
): { readonly rules: PreparedRule[]; readonly ids: ReadonlySet<string> } {
  const ids = new Set<string>()
  const prepared = rules.map((rule, index): PreparedRule => {
    if (ids.has(rule.id))
      recordDuplicate(context, ['rules', index, 'id'], rule.id, `duplicate rule id \`${rule.id}\``)
    ids.add(rule.id)
    const whenPath = ['rules', index, 'when']
    const condition = compileAt(context, compileCondition, rule.when, whenPath, rule.id)
    return {
      id: rule.id,
      effect: rule.effect,
      reason: rule.reason ?? defaultReasons[rule.effect],
      actions: rule.actions,
      condition,
      tags: Object.freeze([...new Set(rule.tags ?? [])].sort()),
      ...(rule.effect === 'approve' ? { approval: approvalOf(rule) } : {}),
    }
  })
  return { rules: prepared, ids }
}

/** The limits, prepared in document order; an id repeated, or also a rule's, is a problem. */
export function prepareLimits(
  context: PrepareContext,
  limits: readonly PolicyLimit[],
  ruleIds: ReadonlySet<string>,
): PreparedLimit[] {
  const ids = new Set<string>()
  return limits.map((limit, index): PreparedLimit => {
    const idPath = ['limits', index, 'id']
    if (ids.has(limit.id))
      recordDuplicate(context, idPath, limit.id, `duplicate limit id \`${limit.id}\``)
    else if (ruleIds.has(limit.id))
      recordDuplicate(context, idPath, limit.id, `limit id \`${limit.id}\` is also a rule id`)
    ids.add(limit.id)
    const whenPath = ['limits', index, 'when']
    const condition = compileAt(context, compileCondition, limit.when, whenPath, limit.id)
    const amount = compileAt(context, compileAmount, limit.sum, ['limits', index, 'sum'], limit.id)
    return {
      id: limit.id,
      actions: limit.actions,
      condition,
      amount,
      per: limit.per,
      windowSeconds: windowSeconds(limit.window),
      max: limit.max,
      reason: limit.reason ?? POLICY_REASONS.LIMIT_EXCEEDED,
    }
  })
}
