/**
 * One decision per action, from the agent's tool call to the receiving service.
 *
 * The agent frameworks' adapters (`@writ/openai`, `@writ/langchain`) decide each tool
 * call; the tool then sends the HTTP request through `createGatedFetch` so the receipt
 * travels in `Writ-Receipt`. Deciding twice would sign two receipts and count the
 * daily limit twice, so the relay splits one gate in two faces:
 *
 * - the tool face decides the tool call ONCE, with the HTTP request the tool will make
 *   (method, URI, SHA-256 of the canonical JSON body) and its audience bound into the
 *   receipt, and keeps each PERMIT for the hand-over;
 * - the wire face, given to `createGatedFetch`, decides nothing: it hands over the
 *   PERMIT issued for exactly this request (same action, arguments, method, URI, body
 *   digest and audience), once. Anything else is refused and never sent.
 */
import {
  type ActionRequest,
  type Decision,
  type Gate,
  guardAction,
  type PermitDecision,
  WritError,
  wrapAction,
} from '@writ/core'
import { canonicalArgs, digestOf, type HttpBinding } from '@writ/verify'
import type { ActionRoute } from './routes.js'

/** Finds the HTTP request that carries out an action, or `undefined` when no service does. */
export type RouteResolver = (
  action: string,
  args: Readonly<Record<string, unknown>>,
) => ActionRoute | undefined

/** Options of {@link createPermitRelay}. */
export interface PermitRelayOptions {
  /** Called with every decision of the tool face, PERMIT or not, in order. */
  readonly onDecision?: (decision: Decision, request: ActionRequest) => void
  /** Clock in milliseconds; `Date.now` by default. */
  readonly clock?: () => number
}

/** The two faces of one gate; see the module comment. */
export interface PermitRelay {
  /** For the agent framework adapters: decides each tool call once, HTTP request bound. */
  readonly toolGate: Gate
  /** For `createGatedFetch`: hands over the PERMIT already issued for exactly this request. */
  readonly wireGate: Gate
}

function bindingKey(http: HttpBinding): string {
  return `${http.method} ${http.uri} ${http.body}`
}

/**
 * Builds the two faces of `gate`. Permits not handed over expire with their receipt.
 *
 * @example
 * ```ts
 * const relay = createPermitRelay(gate, (action, args) => routeOf(services, action, args))
 * await handleChatToolCalls(relay.toolGate, message, handlers)
 * // inside a handler: createGatedFetch(relay.wireGate, { action, args: 'body' })
 * ```
 */
export function createPermitRelay(
  gate: Gate,
  resolve: RouteResolver,
  options: PermitRelayOptions = {},
): PermitRelay {
  const clock = options.clock ?? Date.now
  const pending = new Map<string, PermitDecision[]>()

  const forget = (): void => {
    const now = Math.floor(clock() / 1000)
    for (const [key, decisions] of pending) {
      const live = decisions.filter((decision) => decision.claims.exp >= now)
      if (live.length === 0) pending.delete(key)
      else pending.set(key, live)
    }
  }

  const toolAuthorize = async (request: ActionRequest): Promise<Decision> => {
    let bound: ActionRequest = request
    try {
      const canonical = canonicalArgs(request.args)
      const route = resolve(request.action, canonical.value)
      if (route !== undefined) {
        bound = {
          ...request,
          audience: new URL(route.url).origin,
          http: { method: route.method, uri: route.url, body: digestOf(canonical.canonical) },
        }
      }
    } catch {
      // Arguments that are not I-JSON: the gate itself refuses them with a receipt.
    }
    const decision = await gate.authorize(bound)
    options.onDecision?.(decision, bound)
    if (decision.decision === 'PERMIT' && decision.claims.http !== undefined) {
      forget()
      const key = bindingKey(decision.claims.http)
      pending.set(key, [...(pending.get(key) ?? []), decision])
    }
    return decision
  }

  const wireAuthorize = async (request: ActionRequest): Promise<Decision> => {
    const refuse = (message: string): never => {
      // Fail closed: no PERMIT for exactly this request means nothing is sent.
      throw new WritError('GATE_ERROR', message, { details: { action: request.action } })
    }
    if (request.http === undefined) return refuse('no HTTP request to match a permit with')
    forget()
    const key = bindingKey(request.http)
    const decisions = pending.get(key) ?? []
    const argsDigest = canonicalArgs(request.args).digest
    const index = decisions.findIndex(
      (decision) =>
        decision.claims.act.name === request.action &&
        decision.claims.act.args === argsDigest &&
        decision.claims.aud === request.audience,
    )
    const decision = index === -1 ? undefined : decisions[index]
    if (decision === undefined) return refuse('no permit was issued for exactly this request')
    decisions.splice(index, 1)
    if (decisions.length === 0) pending.delete(key)
    return decision
  }

  const face = (authorize: (request: ActionRequest) => Promise<Decision>): Gate => {
    const self: Gate = {
      authorize,
      guard: (request, execute) => guardAction(self, request, execute),
      wrap: (name, fn, wrapOptions) => wrapAction(self, name, fn, wrapOptions),
      keys: () => gate.keys(),
    }
    return self
  }

  return { toolGate: face(toolAuthorize), wireGate: face(wireAuthorize) }
}
