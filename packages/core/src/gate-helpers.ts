/**
 * `guard` and `wrap`, written once on top of any gate's `authorize`, so that a local
 * gate, a remote authority client or a test double all run actions the same way.
 */
import {
  canonicalArgs,
  checkPermit,
  type Digest,
  httpRequestView,
  type JsonObject,
  WritError,
} from '@writ/verify'
import { defaultHttpAction } from './http-action-name.js'
import { ActionRefusedError, type RefusalPayload, refusalPayload } from './refusal.js'
import type { ActionRequest, Gate, PermitDecision, WrapOptions } from './types.js'

/**
 * PERMITs this module vouches for: issued by a local gate, or checked by the remote gate
 * against a verified receipt. Each is frozen, with deep-frozen arguments whose digest
 * is the receipt's `act.args`. Only those two add to it (it is not exported from the
 * package), so membership cannot be forged. @internal
 */
export const issuedPermits: WeakSet<object> = new WeakSet()

function normalizeError(error: unknown): WritError {
  if (WritError.isInstance(error)) return error
  return new WritError('GATE_ERROR', 'The gate failed; the action did not run.', { cause: error })
}

/**
 * Authorizes `request` with `gate` and, on PERMIT only, calls `execute` exactly once
 * with a deep-frozen, null-prototype copy of exactly the arguments the receipt binds.
 *
 * Before executing it runs, as defence in depth, the one permit check of `@writ/verify`
 * (`checkPermit`) against what this process is about to do: the decision is a PERMIT,
 * current, of a lifetime no longer than allowed, for this action, these arguments (for
 * an HTTP action: the view this process derives from the request itself), this
 * request's `aud` (exactly: absent on both sides, or equal) and, when the request named
 * one, this request id. A failed check rejects with that check's code
 * (`ACTION_MISMATCH`, `ARGS_MISMATCH`, `HTTP_MISMATCH`, `AUDIENCE_MISMATCH`, …). On
 * DENY or SILENCE it rejects with an {@link ActionRefusedError} (code `ACTION_REFUSED`,
 * see {@link refusalOf}); when the gate fails it rejects with the gate's `WritError` (or
 * `GATE_ERROR`). `execute` never runs in those cases.
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
  const expected = expectationOf(request)
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
  if (typeof decision.claims !== 'object' || decision.claims === null) {
    throw new WritError(
      'GATE_ERROR',
      'The gate returned a PERMIT without claims; the action did not run.',
    )
  }
  const bound = boundArgsOf(decision, expected)
  const vouched = issuedPermits.has(decision)
  checkPermit(decision.claims, {
    action: expected.action,
    argsDigest: bound.digest,
    ...(expected.http === undefined ? {} : { http: expected.http.binding }),
    ...(expected.audience === undefined ? {} : { audience: expected.audience }),
    ...(expected.request === undefined ? {} : { request: expected.request }),
    // A PERMIT this process's own gate (or remote client) just checked is current by
    // construction, on the gate's clock, which may be injected.
    ...(vouched ? { now: decision.claims.iat } : {}),
  })
  return await execute(bound.value, decision)
}

interface Expectation {
  readonly action: string
  readonly audience: string | undefined
  readonly request: string | undefined
  readonly http: ReturnType<typeof httpRequestView> | undefined
  readonly httpError: unknown
}

/** What the PERMIT must bind, read from the request once, before deciding. */
function expectationOf(request: ActionRequest): Expectation {
  const given: Partial<ActionRequest> =
    typeof request === 'object' && request !== null ? request : {}
  const { action, audience, httpRequest } = given
  const requestId = given.request
  let http: ReturnType<typeof httpRequestView> | undefined
  let httpError: unknown
  if (httpRequest !== undefined) {
    try {
      http = httpRequestView(httpRequest)
    } catch (error) {
      httpError = error
    }
  }
  return {
    action: (action ?? defaultHttpAction(httpRequest)) as string,
    audience,
    request: requestId,
    http,
    httpError,
  }
}

/** The arguments to execute with and their digest, as this process derives them. */
function boundArgsOf(
  decision: PermitDecision,
  expected: Expectation,
): { readonly value: Readonly<JsonObject>; readonly digest: Digest } {
  if (expected.httpError !== undefined) {
    // The gate permitted a request this process cannot read the one way: never run it.
    throw new WritError(
      'HTTP_MISMATCH',
      'The request cannot be read in one way; the action did not run.',
      {
        cause: expected.httpError,
      },
    )
  }
  if (expected.http !== undefined)
    return { value: expected.http.args, digest: expected.http.argsDigest }
  try {
    // A PERMIT from a local gate binds its frozen arguments by construction; any other
    // gate's answer (remote, a test double) is canonicalized and checked here.
    return issuedPermits.has(decision)
      ? { value: decision.args, digest: decision.claims.act.args }
      : canonicalArgs(decision.args)
  } catch (error) {
    throw new WritError(
      'GATE_ERROR',
      'The permitted arguments are not valid JSON; the action did not run.',
      { cause: error },
    )
  }
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
