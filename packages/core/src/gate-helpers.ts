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
import type {
  ActionRequest,
  Decision,
  Gate,
  GuardOptions,
  PermitDecision,
  WrapOptions,
} from './types.js'

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
  gate: Pick<Gate, 'authorize'> & Partial<Pick<Gate, 'holds'>>,
  request: ActionRequest,
  execute: (args: Readonly<JsonObject>, decision: PermitDecision) => T | Promise<T>,
  options: GuardOptions = {},
): Promise<T> {
  // Read once, before deciding: what the receipt must bind besides action and arguments.
  const expected = expectationOf(request)
  let decision: Awaited<ReturnType<Gate['authorize']>>
  try {
    decision = await gate.authorize(request)
    if (isHeld(decision) && options.approval?.mode === 'wait') {
      decision = await waitForApproval(gate, request, decision, options.approval)
    }
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

function isHeld(decision: unknown): decision is Decision & { hold: NonNullable<unknown> } {
  const candidate = decision as { decision?: unknown; hold?: unknown } | null
  return candidate?.decision === 'SILENCE' && typeof candidate.hold === 'object'
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Waits while the hold of `held` is pending, polling the gate's holds, at most
 * `approval.timeoutMs`; then asks again once (approved, rejected or expired: the new
 * decision says which). Past the deadline it answers with the held decision itself.
 */
async function waitForApproval(
  gate: Pick<Gate, 'authorize'> & Partial<Pick<Gate, 'holds'>>,
  request: ActionRequest,
  held: Decision,
  approval: { readonly timeoutMs: number; readonly pollMs?: number },
): Promise<Decision> {
  const holds = gate.holds
  const id = (held as { hold?: { id?: string } }).hold?.id
  if (holds === undefined || typeof id !== 'string') return held
  const deadline = Date.now() + Math.max(0, approval.timeoutMs)
  const pollMs = Math.max(10, approval.pollMs ?? 500)
  while (Date.now() < deadline) {
    const view = await holds.get(id)
    if (view === undefined) return held
    if (view.state !== 'pending') return gate.authorize(request)
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())))
  }
  return held
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
  gate: Pick<Gate, 'authorize'> & Partial<Pick<Gate, 'holds'>>,
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
      options.approval === undefined ? {} : { approval: options.approval },
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
  gate: Pick<Gate, 'authorize'> & Partial<Pick<Gate, 'holds'>>,
  request: ActionRequest | (() => ActionRequest),
  execute: (args: Readonly<JsonObject>, decision: PermitDecision) => T | Promise<T>,
  check?: (args: Readonly<JsonObject>, decision: PermitDecision) => void | Promise<void>,
  options: GuardOptions = {},
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
      options,
    )
    return { executed: true, value }
  } catch (error) {
    if (started) throw error
    return { executed: false, refusal: refusalPayload(error), error }
  }
}
