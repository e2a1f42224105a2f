/** Helpers shared by core's tests: reading error codes, and the shape of a test rule. */
import { WritError } from '@writ/verify'

/** The `code` of a `WritError`, or `NOT_A_WRIT_ERROR`. */
export function codeOf(error: unknown): string {
  return WritError.isInstance(error) ? error.code : 'NOT_A_WRIT_ERROR'
}

/** The code `run` throws, or `undefined` when it returns. */
export function thrownCode(run: () => unknown): string | undefined {
  try {
    run()
  } catch (error) {
    return codeOf(error)
  }
  return undefined
}

/** What `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

/** The code `promise` rejects with; fails the test when it resolves. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  return codeOf(await rejection(promise))
}

/** A policy rule as the policy tests write it. */
export type RuleSpec = {
  id: string
  effect: 'permit' | 'deny'
  actions: string[]
  when?: string
  reason?: string
}
