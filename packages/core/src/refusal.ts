/**
 * Refusals as values: the `ACTION_REFUSED` error that `guard` rejects with, and the
 * one JSON payload every adapter hands back to a model or caller when an action does
 * not run, so that refusals read the same everywhere.
 */
import { WritError } from '@writ/verify'
import type { InputProblem, RefusalDecision } from './types.js'

/**
 * The error `guard` rejects with on DENY or SILENCE: code `ACTION_REFUSED`, with the
 * refusal (and its receipt) on `decision`.
 */
export class ActionRefusedError extends WritError {
  /** The DENY or SILENCE decision, with its signed receipt. */
  readonly decision: RefusalDecision

  constructor(decision: RefusalDecision) {
    super('ACTION_REFUSED', `The action was refused: ${decision.decision} (${decision.reason}).`, {
      details: {
        decision: decision.decision,
        reason: decision.reason,
        rule: decision.rule,
        receipt_id: decision.claims.jti,
      },
    })
    this.name = 'ActionRefusedError'
    this.decision = decision
  }
}

function isRefusalDecision(value: unknown): value is RefusalDecision {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<RefusalDecision>
  return (
    (candidate.decision === 'DENY' || candidate.decision === 'SILENCE') &&
    typeof candidate.reason === 'string' &&
    typeof candidate.receipt === 'string' &&
    typeof candidate.claims === 'object' &&
    candidate.claims !== null
  )
}

/**
 * The refusal carried by an `ACTION_REFUSED` error, or `undefined` for any other value
 * (including errors from another installed copy of Writ that carry no decision).
 *
 * @example
 * ```ts
 * try { await gate.guard(request, run) }
 * catch (error) { const refusal = refusalOf(error); if (refusal) log(refusal.receipt) }
 * ```
 */
export function refusalOf(error: unknown): RefusalDecision | undefined {
  if (!WritError.isInstance(error) || error.code !== 'ACTION_REFUSED') return undefined
  const decision = (error as { decision?: unknown }).decision
  return isRefusalDecision(decision) ? decision : undefined
}

/**
 * What a model or caller receives when an action did not run. `decision` is `ERROR`
 * when no decision could be made (the gate failed, timed out or was unreachable).
 */
export interface RefusalPayload {
  readonly writ: 'refused'
  readonly decision: 'DENY' | 'SILENCE' | 'ERROR'
  /** The decision's reason code, the `WritError` code, or `GATE_ERROR` for an unknown error. */
  readonly reason: string
  readonly rule: string | null
  /** The receipt's `jti`, or `null` when no receipt was issued. */
  readonly receipt_id: string | null
  /** The signed receipt (compact JWS), or `null` when none was issued. */
  readonly receipt: string | null
  /**
   * Readable English meant for a model, worded by the kind of refusal: invalid input
   * says what to fix; a policy that could not be evaluated, or a gate that failed, says
   * it is not the call's fault; a policy refusal says not to retry.
   */
  readonly message: string
  /**
   * Why the input was refused, when it was (reason `INPUT_INVALID`, or a tool's own
   * schema): each problem's code, path (such as `args.amount`) and message, so the
   * model can correct its call.
   */
  readonly problems?: readonly InputProblem[]
  /** Set when the action is held for approval: ask again with the same call once approved. */
  readonly hold?: {
    readonly id: string
    readonly group: string
    readonly quorum: number
    readonly exp: number
  }
}

/** The sentence a held action answers with, the same in every adapter. */
export function heldMessage(hold: NonNullable<RefusalDecision['hold']>, waited = false): string {
  const until = new Date(hold.exp * 1000).toISOString()
  const count = hold.quorum === 1 ? 'one approval' : `${hold.quorum} approvals`
  return `${waited ? 'Still held' : 'Held'} for approval by ${hold.group}, id ${hold.id}; ask again after approval (${count} needed, open until ${until}). The action did not run.`
}

/** Options of {@link refusalPayload}. */
export interface RefusalPayloadOptions {
  /**
   * Put the signed receipt (about 1 KB) in the payload (default `true`). With `false`,
   * `receipt` is `null` and the model reads only `receipt_id`; the application keeps
   * the receipt from the decision or the error.
   */
  readonly includeReceipt?: boolean
}

/** Codes of errors a model causes with its call, and can fix by calling differently. */
const FIXABLE_ERRORS: ReadonlySet<string> = new Set([
  'ARGS_MISMATCH',
  'TOOL_UNKNOWN',
  'TOO_MANY_TOOL_CALLS',
  'ACTION_NAME_INVALID',
  'HTTP_REQUEST_INVALID',
  'HTTP_REQUEST_AMBIGUOUS',
])

function problemText(problems: readonly InputProblem[]): string {
  return problems
    .map(
      (problem) =>
        `${problem.code}${problem.path === undefined ? '' : ` at ${problem.path}`}: ${problem.message}`,
    )
    .join('; ')
}

/** The sentences a model reads for a DENY or SILENCE, by the kind of reason. */
function decisionAdvice(decision: RefusalDecision): string {
  const rule = decision.rule === null ? '' : ` by rule ${decision.rule}`
  const receipt = `Receipt ${decision.claims.jti}.`
  if (decision.reason === 'INPUT_INVALID') {
    const problems = decision.problem === undefined ? '' : ` (${problemText([decision.problem])})`
    return `Writ refused this call because its input is invalid${problems}. Nothing ran. Correct the arguments and call again. ${receipt}`
  }
  if (decision.reason === 'EVAL_ERROR')
    return `Writ refused this call: the policy${rule} could not be evaluated for these arguments (EVAL_ERROR). This is a problem of the policy or the application, not of your call, and nothing ran. Do not retry; tell the user the action could not be authorized. ${receipt}`
  const advice =
    decision.decision === 'SILENCE'
      ? 'No policy rule permits it, so it did not run.'
      : 'The policy denies it, so it did not run.'
  return `Writ refused this action: ${decision.decision} (${decision.reason})${rule}. ${advice} ${receipt} Do not retry the same call.`
}

function decisionPayload(decision: RefusalDecision, includeReceipt: boolean): RefusalPayload {
  const base = {
    writ: 'refused',
    decision: decision.decision,
    reason: decision.reason,
    rule: decision.rule,
    receipt_id: decision.claims.jti,
    receipt: includeReceipt ? decision.receipt : null,
  } as const
  if (decision.hold !== undefined && decision.decision === 'SILENCE') {
    const { id, group, quorum, exp } = decision.hold
    return { ...base, message: heldMessage(decision.hold), hold: { id, group, quorum, exp } }
  }
  return {
    ...base,
    message: decisionAdvice(decision),
    ...(decision.problem === undefined ? {} : { problems: [decision.problem] }),
  }
}

/** The problems an error carries in its details (a tool schema's issues), if any. */
function problemsOf(error: unknown): InputProblem[] | undefined {
  const problems = (WritError.isInstance(error) ? error.details : undefined)?.['problems']
  if (!Array.isArray(problems)) return undefined
  return problems.filter(
    (problem): problem is InputProblem =>
      typeof problem?.code === 'string' && typeof problem?.message === 'string',
  )
}

/** The payload of an error that is not a refusal decision: no receipt was issued for it. */
function errorPayload(error: unknown): RefusalPayload {
  const code = WritError.isInstance(error) ? error.code : 'GATE_ERROR'
  const problems = problemsOf(error)
  const message = FIXABLE_ERRORS.has(code)
    ? `Writ refused this call (${code})${problems === undefined || problems.length === 0 ? '' : `: ${problemText(problems)}`}. Nothing ran. Correct the call and try again.`
    : `Writ could not authorize this action (${code}), so it did not run. This is not caused by your call; do not retry it now, and tell the user the action could not be authorized.`
  return {
    writ: 'refused',
    decision: 'ERROR',
    reason: code,
    rule: null,
    receipt_id: null,
    receipt: null,
    message,
    ...(problems === undefined || problems.length === 0 ? {} : { problems }),
  }
}

/**
 * The refusal payload for an error or a refusal decision: the same JSON in every
 * adapter. Errors that are not refusals become `decision: 'ERROR'` with the error's
 * code (or `GATE_ERROR`); their messages are not copied, so nothing internal leaks
 * to a model.
 */
export function refusalPayload(
  errorOrDecision: unknown,
  options: RefusalPayloadOptions = {},
): RefusalPayload {
  const includeReceipt = options.includeReceipt !== false
  if (isRefusalDecision(errorOrDecision)) return decisionPayload(errorOrDecision, includeReceipt)
  const refusal = refusalOf(errorOrDecision)
  if (refusal !== undefined) return decisionPayload(refusal, includeReceipt)
  return errorPayload(errorOrDecision)
}
