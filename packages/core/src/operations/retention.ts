/**
 * Argument retention (opt in): which requests a store keeps the arguments of, the
 * redaction applied before anything is written, and the check made when a copy is read
 * back. A copy that does not match the receipt's `act.args` is reported, never used.
 */
import { canonicalArgs, digestOf, type JsonObject, type JsonValue, WritError } from '@writ/verify'
import { canonicalize } from '@writ/verify/internal'
import { compileGlob } from '../policy/action-pattern.js'
import type { RetainedRequest, RetentionRule, RetentionRules } from './records.js'

const PATH_PATTERN = /^(args|context)(\.[^.\s]+)+$/

function retentionError(message: string, index: number): WritError {
  return new WritError('GATE_ERROR', message, { details: { option: 'retention', index } })
}

/**
 * Checks retention rules once (patterns and paths) and compiles their action patterns.
 *
 * @throws WritError `GATE_ERROR` (option `retention`) for a rule without actions or a
 * path that does not start with `args.` or `context.`.
 */
export function compileRetention(rules: readonly RetentionRule[]): RetentionRules {
  if (!Array.isArray(rules)) throw retentionError('retention must be a list of rules.', -1)
  const compiled = rules.map((rule, index) => {
    const actions = typeof rule?.actions === 'string' ? [rule.actions] : rule?.actions
    if (!Array.isArray(actions) || actions.length === 0 || !actions.every(isName)) {
      throw retentionError('Each retention rule names its actions.', index)
    }
    const redact = rule.redact ?? []
    if (!Array.isArray(redact) || !redact.every((path) => PATH_PATTERN.test(String(path)))) {
      throw retentionError('Redacted paths start with args. or context.', index)
    }
    return {
      matches: actions.map((pattern) => compileGlob(pattern)),
      redact: redact.map((path) => path.split('.')),
    }
  })
  return Object.freeze({
    plan(action: string) {
      const applying = compiled.filter((rule) => rule.matches.some((match) => match(action)))
      if (applying.length === 0) return undefined
      return applying.flatMap((rule) => rule.redact)
    },
  })
}

function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 256
}

/** The copy of one request a store keeps: redacted paths replaced by their value's digest. */
export function retainedCopy(
  receipt: string,
  values: { readonly args: JsonObject; readonly context: JsonObject },
  redact: readonly (readonly string[])[],
): RetainedRequest {
  const copy = structuredClone({ args: values.args, context: values.context }) as {
    args: JsonObject
    context: JsonObject
  }
  const redacted: string[] = []
  for (const path of redact) {
    if (redactPath(copy as unknown as JsonObject, path)) redacted.push(path.join('.'))
  }
  return { receipt, args: copy.args, context: copy.context, redacted }
}

function redactPath(root: JsonObject, path: readonly string[]): boolean {
  let node: JsonValue | undefined = root
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return false
    node = node[key]
  }
  const last = path[path.length - 1] as string
  if (!isPlainObject(node) || !Object.hasOwn(node, last)) return false
  node[last] = digestOf(canonicalize(node[last]))
  return true
}

function isPlainObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * How a retained copy relates to the receipt it sits beside:
 * - `verified`: its arguments have the digest the receipt signs (`act.args`);
 * - `redacted`: some values were replaced by digests, so the whole cannot be checked;
 * - `mismatch`: it does not match the receipt (edited, or written for another request),
 *   and must not be used.
 */
export type RetainedStatus = 'verified' | 'redacted' | 'mismatch'

/** Checks a retained copy against the `act.args` digest of its receipt. */
export function checkRetained(
  retained: RetainedRequest,
  receipt: { readonly jti: string; readonly act: { readonly args: string } },
): RetainedStatus {
  if (retained.receipt !== receipt.jti) return 'mismatch'
  if (retained.redacted.length > 0) return 'redacted'
  try {
    return canonicalArgs(retained.args).digest === receipt.act.args ? 'verified' : 'mismatch'
  } catch {
    return 'mismatch'
  }
}
