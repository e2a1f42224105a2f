/**
 * `writ policy lint`: static checks of a policy, alone or against the tool catalogue.
 * Each finding has a stable code, a severity and a `file:line:col` location; a
 * `# writ-lint-ignore CODE: reason` comment suppresses it (see docs/policy-lint.md).
 */
export { LINT_CODES, type LintFinding, type Severity } from './codes.js'

import {
  type CompiledPolicy,
  compilePolicy,
  type PolicyDocument,
  type PolicyProblem,
  runPolicySelfTests,
} from '@writ/core'
import { matchesAction } from '@writ/core/internal'
import { WritError } from '@writ/verify'
import { LINT_CODES, type LintFinding } from './codes.js'
import { expressionFacts } from './expressions.js'
import {
  type RawFinding,
  typeMismatches,
  unboundedAmounts,
  unguardedOptionals,
  unknownFields,
} from './rules.js'
import { createLocator, type Locator } from './source-map.js'
import { applySuppressions } from './suppressions.js'
import type { JsonSchema, ToolCatalogue } from './tools.js'

type Item = { kind: 'rules' | 'limits'; index: number; id: string }

function finding(
  raw: RawFinding,
  locator: Locator,
  item: Item | undefined,
  member: string | undefined,
): LintFinding {
  const code = LINT_CODES[raw.code] ?? { name: 'unknown', severity: 'error' as const }
  const where =
    item === undefined
      ? locator.at([])
      : locator.inExpression([item.kind, item.index, ...(member ? [member] : [])], raw.offset)
  return {
    code: raw.code,
    name: code.name,
    severity: code.severity,
    message: raw.message,
    file: locator.file,
    ...where,
    ...(item === undefined ? {} : { rule: item.id }),
  }
}

function problemFindings(error: WritError, locator: Locator): LintFinding[] {
  const problems = (error.details?.['problems'] as PolicyProblem[] | undefined) ?? []
  const listed = problems.length > 0 ? problems : [{ path: '', message: error.message }]
  return listed.map((problem) => ({
    code: 'WL001',
    name: 'policy-invalid',
    severity: 'error',
    message: problem.path === '' ? problem.message : `${problem.path}: ${problem.message}`,
    file: locator.file,
    line: problem.line ?? 1,
    column: problem.column ?? 1,
    ...(problem.ruleId === undefined ? {} : { rule: problem.ruleId }),
  }))
}

function toolsFor(actions: readonly string[], tools: ToolCatalogue): [string, JsonSchema][] {
  return [...tools].filter(([name]) => actions.some((pattern) => matchesAction(pattern, name)))
}

/** True when every name `inner` matches is matched by `outer`. */
export function covers(outer: string, inner: string): boolean {
  if (!inner.includes('*')) return matchesAction(outer, inner)
  if (outer === inner || outer === '**') return true
  return outer.endsWith('.**') && inner.startsWith(outer.slice(0, -2))
}

function conditionFindings(
  rule: PolicyDocument['rules'][number],
  tools: ToolCatalogue | undefined,
) {
  if (rule.when === undefined || tools === undefined) return []
  const facts = expressionFacts(rule.when)
  const found: RawFinding[] = []
  for (const [tool, schema] of toolsFor(rule.actions, tools)) {
    found.push(...unknownFields(tool, schema, facts), ...typeMismatches(tool, schema, facts))
    found.push(...unguardedOptionals(tool, schema, facts))
    if (rule.effect === 'permit') found.push(...unboundedAmounts(tool, schema, facts))
  }
  return found
}

function reachability(
  document: PolicyDocument,
  rule: PolicyDocument['rules'][number],
  tools: ToolCatalogue | undefined,
) {
  const found: RawFinding[] = []
  if (rule.effect !== 'deny' && rule.actions.includes('**'))
    found.push({ code: 'WL303', message: `rule ${rule.id} ${rule.effect}s every action (**)` })
  if (tools !== undefined)
    for (const pattern of rule.actions)
      if (![...tools.keys()].some((name) => matchesAction(pattern, name)))
        found.push({ code: 'WL301', message: `no tool in the catalogue is named ${pattern}` })
  if (rule.effect !== 'deny') {
    const shadow = document.rules.find(
      (other) =>
        other.effect === 'deny' &&
        other.when === undefined &&
        rule.actions.every((pattern) => other.actions.some((outer) => covers(outer, pattern))),
    )
    if (shadow !== undefined)
      found.push({
        code: 'WL302',
        message: `rule ${rule.id} can never apply: deny rule ${shadow.id} always holds for its actions, and deny wins`,
      })
  }
  return found
}

function limitFindings(
  document: PolicyDocument,
  limit: NonNullable<PolicyDocument['limits']>[number],
) {
  const used = document.rules.some(
    (rule) =>
      rule.effect !== 'deny' &&
      limit.actions.some((pattern) =>
        rule.actions.some((other) => covers(other, pattern) || covers(pattern, other)),
      ),
  )
  return used
    ? []
    : [
        {
          code: 'WL401',
          message: `limit ${limit.id} applies to actions no permit or approve rule covers`,
        },
      ]
}

function documentFindings(
  policy: CompiledPolicy,
  locator: Locator,
  tools: ToolCatalogue | undefined,
) {
  const { document } = policy
  const found: LintFinding[] = []
  document.rules.forEach((rule, index) => {
    const item: Item = { kind: 'rules', index, id: rule.id }
    for (const raw of conditionFindings(rule, tools))
      found.push(finding(raw, locator, item, 'when'))
    for (const raw of reachability(document, rule, tools))
      found.push(finding(raw, locator, item, 'actions'))
  })
  ;(document.limits ?? []).forEach((limit, index) => {
    const item: Item = { kind: 'limits', index, id: limit.id }
    for (const raw of limitFindings(document, limit))
      found.push(finding(raw, locator, item, 'actions'))
  })
  for (const result of runPolicySelfTests(policy))
    if (!result.pass)
      found.push({
        ...finding(
          {
            code: 'WL002',
            message: `self-test "${result.name}" failed: expected ${result.expected.decision}, the policy decided ${result.actual.decision} (rule ${result.actual.rule ?? 'none'})`,
          },
          locator,
          undefined,
          undefined,
        ),
      })
  return found
}

/** Lints a policy text. Never throws on a bad policy: that is finding WL001. */
export function lintPolicy(text: string, file: string, tools?: ToolCatalogue): LintFinding[] {
  const locator = createLocator(text, file)
  let policy: CompiledPolicy
  try {
    policy = compilePolicy(text, { source: file, selfTests: false })
  } catch (error) {
    if (WritError.isInstance(error)) return problemFindings(error, locator)
    throw error
  }
  const found = documentFindings(policy, locator, tools)
  return applySuppressions(text, file, found, locator, policy.document)
}
