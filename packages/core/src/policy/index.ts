// The policy engine as users see it: compiling and loading policies, what they decide,
// and the bounds they are checked against. Internals (conditions, patterns, the schema)
// are reached through `src/internal.ts`.

export {
  DEFAULT_MAX_EVALUATION_COST,
  DEFAULT_MAX_ITERATED_SIZE,
  type HistoryEntry,
} from './cel.js'
export type { ConditionErrorCode } from './cel-guard.js'
export { type CompilePolicyOptions, compilePolicy, loadPolicyFile } from './compile-policy.js'
export { POLICY_REASONS } from './evaluate.js'
export { MAX_POLICY_TEXT_LENGTH, type PolicyFormat } from './parse-source.js'
export type { PolicyErrorCode, PolicyProblem } from './policy-problem.js'
export type {
  ApprovalRequirement,
  CompiledPolicy,
  Evaluation,
  EvaluationInput,
  Explanation,
  LimitExplanation,
  RuleExplanation,
} from './policy-types.js'
export {
  DEFAULT_HOLD_TTL_SECONDS,
  MAX_EXPRESSION_LENGTH,
  MAX_HOLD_TTL_SECONDS,
  MAX_POLICY_TESTS,
  MAX_QUORUM,
  MAX_RULE_TAGS,
  MAX_RULES,
  type PolicyDocument,
  type PolicyLimit,
  type PolicyRule,
  type PolicyTest,
} from './schema.js'
export {
  assertPolicySelfTests,
  type PolicySelfTestResult,
  runPolicySelfTests,
} from './self-test.js'
