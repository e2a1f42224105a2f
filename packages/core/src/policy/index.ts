// Compiling and loading policies
export { type CompilePolicyOptions, compilePolicy, loadPolicyFile } from './compile-policy.js'
export type {
  CompiledPolicy,
  Evaluation,
  EvaluationInput,
  Explanation,
  LimitExplanation,
  RuleExplanation,
} from './policy-types.js'
export { POLICY_REASONS } from './evaluate.js'

// The policy document
export {
  ACTION_PATTERN_PATTERN,
  MAX_EXPRESSION_LENGTH,
  MAX_RULES,
  POLICY_ID_PATTERN,
  type PolicyDocument,
  type PolicyLimit,
  type PolicyRule,
  policyDocumentSchema,
  REASON_PATTERN,
  WINDOW_PATTERN,
} from './schema.js'
export { MAX_POLICY_TEXT_LENGTH, type PolicyFormat } from './parse-source.js'
export type { PolicyErrorCode, PolicyProblem } from './policy-problem.js'

// Actions and conditions
export { matchesAction } from './action-pattern.js'
export {
  type CompiledCondition,
  CONDITION_VARIABLES,
  type ConditionActivation,
  compileCondition,
  type ExpressionLocation,
  MAX_MACRO_NESTING,
} from './cel.js'
export { analyzeRegex, MAX_REGEX_LENGTH, type RegexVerdict } from './regex-safety.js'
