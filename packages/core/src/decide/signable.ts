/**
 * What the gate signs as given: the checks every string member of a request and every
 * configured name pass before it goes into a receipt, and how a refused input is told.
 */
import { WritError } from '@writ/verify'
import { findLoneSurrogate } from '@writ/verify/internal'
import type { InputProblem } from '../types.js'

/** A string of 1 to `max` UTF-16 code units. */
export function isShortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max
}

/**
 * A string the gate signs into a receipt as given (`sub`, `req`, `aud`, `iss`,
 * `chain.id`): 1 to `max` UTF-16 code units and well-formed. A lone surrogate would be
 * written as a `\uD800` escape that every strict verifier refuses, so the receipt (and
 * every chain check past it) would never verify.
 */
export function isSignableString(value: unknown, max: number): value is string {
  return isShortString(value, max) && findLoneSurrogate(value) === -1
}

/** The problem for a request member that is not a signable string. */
export function memberProblem(value: unknown, path: string, message: string): InputProblem {
  return typeof value === 'string' && findLoneSurrogate(value) !== -1
    ? { code: 'INPUT_LONE_SURROGATE', message: `${path} contains a lone surrogate`, path }
    : { code: 'INPUT_UNSUPPORTED_TYPE', message, path }
}

/** The problem for an input that a reader refused with `error`, its path under `prefix`. */
export function problemOf(error: unknown, prefix: string): InputProblem {
  if (WritError.isInstance(error)) {
    const path = error.details?.['path']
    const pointer = typeof path === 'string' ? path : ''
    return { code: error.code, message: error.message, path: `${prefix}${pointer}` }
  }
  return { code: 'INPUT_UNSUPPORTED_TYPE', message: 'The input could not be read.', path: prefix }
}
