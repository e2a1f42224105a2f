// Compiling and loading policies

// Actions and conditions
export { matchesAction } from './action-pattern.js'
export {
  CONDITION_VARIABLES,
  type CompiledCondition,
  type ConditionActivation,
  type ConditionErrorCode,
  ConditionEvaluationError,
  compileCondition,
  DEFAULT_MAX_EVALUATION_COST,
  DEFAULT_MAX_ITERATED_SIZE,
  type ExpressionLimits,
  type ExpressionLocation,
  type ExpressionWarning,
  MAX_MACRO_NESTING,
} from './cel.js'
export { type CompilePolicyOptions, compilePolicy, loadPolicyFile } from './compile-policy.js'
export { POLICY_REASONS } from './evaluate.js'
export { MAX_POLICY_TEXT_LENGTH, type PolicyFormat } from './parse-source.js'
export type { PolicyErrorCode, PolicyProblem } from './policy-problem.js'
export type {
  CompiledPolicy,
  Evaluation,
  EvaluationInput,
  Explanation,
  LimitExplanation,
  RuleExplanation,
} from './policy-types.js'
export { analyzeRegex, MAX_REGEX_LENGTH, type RegexVerdict } from './regex-safety.js'
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
