/**
 * Step one of deciding: read a proposed action once and turn it into what the policy
 * evaluates and the receipt signs. Refused input is not an error here: it is kept as the
 * first {@link InputProblem}, and the gate answers it with a DENY `INPUT_INVALID`.
 */
import {
  canonicalArgs,
  type Digest,
  type HttpBinding,
  type JsonLimits,
  type JsonObject,
  validateActionName,
  WritError,
} from '@writ/verify'
import { checkRefs } from '@writ/verify/internal'
import { escapeActionName } from '../action-name-escape.js'
import { defaultHttpAction } from '../http-action-name.js'
import type { InputProblem } from '../types.js'
import { type BoundArgs, bindArgs, refusedArgsDigest } from './bind-args.js'
import { isSignableString, memberProblem, problemOf } from './signable.js'

/** What normalizing needs from the gate. */
export interface NormalizeSettings {
  /** `sub` when the request names no agent. */
  readonly defaultAgent: string
  /** Depth and size bounds on arguments and context. */
  readonly jsonLimits: JsonLimits | undefined
  /** A fresh request id, for a request that names none. */
  readonly nextId: () => string
}

/** A request as the gate decides and signs it. */
export interface NormalizedRequest {
  /** The valid action name, or `undefined` when it was refused. */
  readonly action: string | undefined
  /** The name the receipt signs: the valid one, or the refused one escaped. */
  readonly signedName: string
  /** The bound arguments, or `undefined` when refused. */
  readonly args: BoundArgs | undefined
  /** `act.args`: the bound arguments' digest, or a best-effort digest of refused ones. */
  readonly argsDigest: Digest
  /** The HTTP binding the receipt signs, for an HTTP action. */
  readonly http: HttpBinding | undefined
  readonly agent: string
  readonly req: string
  readonly context: Readonly<JsonObject>
  readonly audience: string | undefined
  /** The session `per: session` limits count in, when the request names one. */
  readonly session?: string | undefined
  /** The `refs` the receipt signs, frozen, or `undefined` when the request named none. */
  readonly refs: Readonly<Record<string, Digest>> | undefined
  /** The first problem found, in the order the members are checked. */
  readonly problem: InputProblem | undefined
}

/** The members of a request, each read exactly once. */
interface Members {
  readonly action: unknown
  readonly args: unknown
  readonly agent: unknown
  readonly request: unknown
  readonly context: unknown
  readonly audience: unknown
  readonly session: unknown
  readonly refs: unknown
  readonly httpRequest: unknown
}

/** Keeps the first problem noted. */
interface Problems {
  first: InputProblem | undefined
}

const httpMemberProblem: InputProblem = Object.freeze({
  code: 'INPUT_SYNTAX',
  message:
    'The gate binds an HTTP action to the request it derives itself: send httpRequest, not http.',
  path: 'http',
})

/**
 * Reads `request` into a {@link NormalizedRequest}. Each member is read exactly once: a
 * getter or Proxy cannot show the checks one value and the receipt (or the executor)
 * another.
 */
export function normalizeRequest(request: unknown, settings: NormalizeSettings): NormalizedRequest {
  const given: object = typeof request === 'object' && request !== null ? request : {}
  const members = readMembers(given)
  const problems: Problems = { first: undefined }
  const target = readTarget(given, members, settings.jsonLimits, problems)
  const agent = readSignable(members.agent, 'agent', 256, problems) ?? settings.defaultAgent
  const req = readSignable(members.request, 'request', 256, problems) ?? settings.nextId()
  const context = readContext(members.context, settings.jsonLimits, problems)
  const audience = readSignable(members.audience, 'audience', 1024, problems)
  const session = readSignable(members.session, 'session', 256, problems)
  const refs = readRefs(members.refs, problems)
  // One literal of fixed shape, no spread: spreading `target` here allocated about 3.6 KB
  // a decision.
  return {
    action: target.action,
    args: target.args,
    http: target.http,
    signedName: target.action ?? escapeActionName(members.action),
    argsDigest: target.args?.digest ?? refusedArgsDigest(members.args, members.httpRequest),
    agent,
    req,
    context,
    audience,
    session,
    refs,
    problem: problems.first,
  }
}

function readMembers(given: Partial<Record<keyof Members, unknown>>): Members {
  return {
    action: given.action,
    args: given.args,
    agent: given.agent,
    request: given.request,
    context: given.context,
    audience: given.audience,
    session: given.session,
    refs: given.refs,
    httpRequest: given.httpRequest,
  }
}

/** The action name and its arguments (or HTTP request); `http` is read only when needed. */
function readTarget(
  given: { readonly http?: unknown },
  members: Members,
  jsonLimits: JsonLimits | undefined,
  problems: Problems,
): Pick<NormalizedRequest, 'action' | 'args' | 'http'> {
  let action: string | undefined
  try {
    action = validateActionName(members.action ?? defaultHttpAction(members.httpRequest))
  } catch (error) {
    problems.first = { ...problemOf(error, ''), path: 'action' }
    return { action, args: undefined, http: undefined }
  }
  if (given.http !== undefined) {
    problems.first = httpMemberProblem
    return { action, args: undefined, http: undefined }
  }
  const bound = bindArgs(action, members.args, members.httpRequest, jsonLimits)
  if ('problem' in bound) {
    problems.first = bound.problem
    return { action, args: undefined, http: undefined }
  }
  return { action, args: bound.args, http: bound.http }
}

const memberMessages: Readonly<Record<string, string>> = {
  agent: 'agent must be a string of 1 to 256 characters',
  request: 'request must be a string of 1 to 256 characters',
  audience: 'audience must be a non-empty string',
  session: 'session must be a string of 1 to 256 characters',
}

/** A string member signed as given; an invalid one is noted and left out. */
function readSignable(
  value: unknown,
  path: 'agent' | 'request' | 'audience' | 'session',
  max: number,
  problems: Problems,
): string | undefined {
  if (value === undefined) return undefined
  if (isSignableString(value, max)) return value
  problems.first ??= memberProblem(value, path, memberMessages[path] ?? path)
  return undefined
}

const noContext: Readonly<JsonObject> = Object.freeze({})

/** The context, canonical and frozen; read only while no problem has been found. */
function readContext(
  value: unknown,
  jsonLimits: JsonLimits | undefined,
  problems: Problems,
): Readonly<JsonObject> {
  if (value === undefined || problems.first !== undefined) return noContext
  try {
    return canonicalArgs(value, jsonLimits).value
  } catch (error) {
    problems.first = problemOf(error, 'context')
    return noContext
  }
}

/**
 * The `refs` to sign: copied once into a frozen object of checked digests, so a getter
 * cannot show the check one value and the receipt another.
 */
function readRefs(
  value: unknown,
  problems: Problems,
): Readonly<Record<string, Digest>> | undefined {
  if (value === undefined || problems.first !== undefined) return undefined
  try {
    const copy = canonicalArgs(value).value
    return Object.freeze({ ...checkRefs(copy, 'refs') })
  } catch (error) {
    const path = WritError.isInstance(error) ? error.details?.['path'] : undefined
    problems.first = {
      code: 'INPUT_UNSUPPORTED_TYPE',
      message: 'refs must map 1 to 16 names of [A-Za-z0-9_.:-] to sha256 digests',
      path: typeof path === 'string' ? path : 'refs',
    }
    return undefined
  }
}
