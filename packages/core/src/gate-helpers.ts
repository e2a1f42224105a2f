/**
 * `guard` and `wrap`, written once on top of any gate's `authorize`, so that a local
 * gate, a remote authority client or a test double all run actions the same way.
 */
import { canonicalArgs, type JsonObject, WritError } from '@writ/verify'
import { ActionRefusedError, type RefusalPayload, refusalPayload } from './refusal.js'
import type { ActionRequest, Gate, PermitDecision, WrapOptions } from './types.js'

/**
 * PERMITs issued by a local gate of this module: frozen, with deep-frozen arguments
 * whose digest is the receipt's `act.args` by construction. Only the gate adds to it
 * (it is not exported from the package), so membership cannot be forged. @internal
 */
export const issuedPermits: WeakSet<object> = new WeakSet()

function normalizeError(error: unknown): WritError {
  if (WritError.isInstance(error)) return error
  return new WritError('GATE_ERROR', 'The gate failed; the action did not run.', { cause: error })
}

/**
 * Authorizes `request` with `gate` and, on PERMIT only, calls `execute` exactly once
 * with a deep-frozen copy of exactly the arguments the receipt binds.
 *
 * Before executing it checks, as defence in depth, that the decision is a PERMIT whose
 * receipt claims name this action, whose `act.args` is the digest of the arguments
 * handed over and, when the request names them, whose `http` binding (method, URI,
 * body digest) and `aud` are exactly the request's (`GATE_ERROR` otherwise). On DENY or SILENCE it rejects with an
 * {@link ActionRefusedError} (code `ACTION_REFUSED`, see {@link refusalOf}); when the gate
 * fails it rejects with the gate's `WritError` (or `GATE_ERROR`). `execute` never runs
 * in those cases.
 *
 * @example
 * ```ts
 * const receiptId = await guardAction(gate, { action: 'payments.transfer', args: text }, (args) => pay(args))
 * ```
 */
export async function guardAction<T>(
  gate: Pick<Gate, 'authorize'>,
  request: ActionRequest,
  execute: (args: Readonly<JsonObject>, decision: PermitDecision) => T | Promise<T>,
): Promise<T> {
  // Read once, before deciding: what the receipt must bind besides action and arguments.
  const expectedHttp = request.http
  const expectedAudience = request.audience
  let decision: Awaited<ReturnType<Gate['authorize']>>
  try {
    decision = await gate.authorize(request)
  } catch (error) {
    throw normalizeError(error)
  }
  if (typeof decision !== 'object' || decision === null) {
    throw new WritError('GATE_ERROR', 'The gate returned no decision; the action did not run.')
  }
  if (decision.decision !== 'PERMIT') {
    if (decision.decision === 'DENY' || decision.decision === 'SILENCE')
      throw new ActionRefusedError(decision)
    throw new WritError(
      'GATE_ERROR',
      'The gate returned an unknown decision; the action did not run.',
    )
  }
  let bound: { readonly value: Readonly<JsonObject>; readonly digest: string }
  try {
    // A PERMIT from a local gate binds its frozen arguments by construction; any other
    // gate's answer (remote, a test double) is canonicalized and checked here.
    bound = issuedPermits.has(decision)
      ? { value: decision.args, digest: decision.claims.act.args }
      : canonicalArgs(decision.args)
  } catch (error) {
    throw new WritError(
      'GATE_ERROR',
      'The permitted arguments are not valid JSON; the action did not run.',
      {
        cause: error,
      },
    )
  }
  const claims = decision.claims
  const http = claims?.http
  if (
    claims?.decision !== 'PERMIT' ||
    claims.act?.name !== request.action ||
    claims.act.args !== bound.digest ||
    (expectedAudience !== undefined && claims.aud !== expectedAudience) ||
    (expectedHttp !== undefined &&
      (http === undefined ||
        http.method !== expectedHttp.method ||
        http.uri !== expectedHttp.uri ||
        http.body !== expectedHttp.body))
  ) {
    throw new WritError(
      'GATE_ERROR',
      'The PERMIT does not bind this action, these arguments and this request; the action did not run.',
      {
        details: { action: request.action },
      },
    )
  }
  return await execute(bound.value, decision)
}

/**
 * A function with `fn`'s shape whose every call is gated as action `name` through
 * {@link guardAction}. The arguments object is the action's arguments.
 *
 * @example
 * ```ts
 * const transfer = wrapAction(gate, 'payments.transfer', (args) => bank.transfer(args))
 * await transfer({ to: 'alice', amount: 250 })
 * ```
 */
export function wrapAction<A extends JsonObject, T>(
  gate: Pick<Gate, 'authorize'>,
  name: string,
  fn: (args: Readonly<A>, decision: PermitDecision) => T | Promise<T>,
  options: WrapOptions = {},
): (args: A) => Promise<T> {
  return (args: A) =>
    guardAction(
      gate,
      {
        action: name,
        args,
        ...(options.agent === undefined ? {} : { agent: options.agent }),
        ...(options.audience === undefined ? {} : { audience: options.audience }),
        ...(options.context === undefined ? {} : { context: options.context }),
      },
      (value, decision) => fn(value as Readonly<A>, decision),
    )
}

/** What became of one guarded call: the action's result, or the refusal and why. */
export type GuardOutcome<T> =
  | { readonly executed: true; readonly value: T }
  | { readonly executed: false; readonly refusal: RefusalPayload; readonly error: unknown }

/**
 * {@link guardAction} for adapters that must answer every call (a model needs a tool
 * output even for a refusal): every failure before the action starts (building the
 * request, a DENY or SILENCE, invalid input, a gate that throws or times out, a failed
 * `check`) resolves to `{ executed: false, refusal }` and never runs the action. An
 * error thrown by the action itself, after it started, is the action's own and is
 * rethrown unchanged.
 *
 * @param gate the gate that decides
 * @param request the proposed action, or a function building it (a throw there is a refusal)
 * @param execute the action, called at most once, with the arguments the receipt binds
 * @param check runs after the PERMIT and before the action; throwing refuses (for example
 *   {@link assertArgsUnchanged} over a tool's own parse of the arguments)
 */
export async function guardOutcome<T>(
  gate: Pick<Gate, 'authorize'>,
  request: ActionRequest | (() => ActionRequest),
  execute: (args: Readonly<JsonObject>, decision: PermitDecision) => T | Promise<T>,
  check?: (args: Readonly<JsonObject>, decision: PermitDecision) => void | Promise<void>,
): Promise<GuardOutcome<T>> {
  let started = false
  try {
    const value = await guardAction(
      gate,
      typeof request === 'function' ? request() : request,
      async (args, decision) => {
        if (check !== undefined) await check(args, decision)
        started = true
        return execute(args, decision)
      },
    )
    return { executed: true, value }
  } catch (error) {
    if (started) throw error
    return { executed: false, refusal: refusalPayload(error), error }
  }
}
