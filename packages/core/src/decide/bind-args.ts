/**
 * The arguments the policy evaluates and, for an HTTP action, the binding the receipt
 * signs, both from one source. An HTTP action's arguments are derived from the request
 * itself (spec section 10), never taken beside it.
 */
import {
  canonicalArgs,
  type Digest,
  digestOf,
  type HttpBinding,
  type HttpRequestInput,
  httpRequestView,
  type JsonLimits,
  type JsonObject,
} from '@writ/verify'
import { bestEffortDigest } from '@writ/verify/internal'
import type { InputProblem } from '../types.js'
import { problemOf } from './signable.js'

/** Arguments bound into a receipt: a deep-frozen value and the digest of its canonical form. */
export interface BoundArgs {
  readonly value: Readonly<JsonObject>
  readonly digest: Digest
}

/** What {@link bindArgs} found: the bound arguments (and HTTP binding), or why not. */
export type Binding =
  | { readonly args: BoundArgs; readonly http?: HttpBinding }
  | { readonly problem: InputProblem }

const httpActionWithArgs: InputProblem = Object.freeze({
  code: 'INPUT_SYNTAX',
  message: 'An http.* action is decided on the request itself: send httpRequest, not args.',
  path: 'httpRequest',
})

const argsBesideHttpRequest: InputProblem = Object.freeze({
  code: 'INPUT_SYNTAX',
  message: 'An HTTP action takes its arguments from httpRequest; do not also send args.',
  path: 'args',
})

/** Binds the tool call's arguments, or the HTTP request's view, never both. */
export function bindArgs(
  action: string | undefined,
  args: unknown,
  httpRequest: unknown,
  limits: JsonLimits | undefined,
): Binding {
  // `http.<method>` names a request: arguments given beside it could describe another.
  if (httpRequest === undefined && action?.startsWith('http.') === true) {
    return { problem: httpActionWithArgs }
  }
  if (httpRequest === undefined) return bindToolArgs(args, limits)
  if (args !== undefined) return { problem: argsBesideHttpRequest }
  return bindHttpRequest(httpRequest, limits)
}

function bindToolArgs(args: unknown, limits: JsonLimits | undefined): Binding {
  try {
    return { args: canonicalArgs(args, limits) }
  } catch (error) {
    return { problem: problemOf(error, '') }
  }
}

function bindHttpRequest(httpRequest: unknown, limits: JsonLimits | undefined): Binding {
  try {
    const view = httpRequestView(httpRequest as HttpRequestInput, {
      ...(limits === undefined ? {} : { limits }),
      ...(limits?.maxBytes === undefined ? {} : { maxBodyBytes: limits.maxBytes }),
    })
    return { args: { value: view.args, digest: view.argsDigest }, http: view.binding }
  } catch (error) {
    return { problem: problemOf(error, 'httpRequest/') }
  }
}

/**
 * `act.args` of a DENY for refused input: the digest of the arguments as received, or,
 * for a refused HTTP request, of its method, URI, content type and body digest.
 */
export function refusedArgsDigest(args: unknown, httpRequest: unknown): Digest {
  if (httpRequest === undefined || typeof httpRequest !== 'object' || httpRequest === null) {
    return bestEffortDigest(args)
  }
  const { method, uri, contentType, body } = httpRequest as Partial<HttpRequestInput>
  return bestEffortDigest({
    method,
    uri,
    contentType,
    body: body instanceof Uint8Array ? digestOf(body) : undefined,
  })
}
