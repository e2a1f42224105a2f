/**
 * Shared parts of the security suite: a real policy, real keys, real gates.
 */
import { compilePolicy, createGate, generateSigningKey, type LocalGate } from '@writ/core'
import { WritError } from '@writ/verify'

/** Transfers up to 1000 are permitted; exports are denied. */
export const POLICY_TEXT = `
writ: 1
id: security-suite
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: no-exports
    effect: deny
    actions: [exports.*]
`

/** A gate over {@link POLICY_TEXT} with an in-memory store and a fresh key. */
export function makeGate(overrides: Partial<Parameters<typeof createGate>[0]> = {}): LocalGate {
  return createGate({
    policy: compilePolicy(POLICY_TEXT),
    keys: generateSigningKey(),
    issuer: 'https://authority.security.test',
    ...overrides,
  })
}

/** The `code` of what `promise` rejects with (a `WritError`), or fails the test. */
export async function rejectionCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
  throw new Error('expected a rejection')
}

/** The `code` of what `run` throws (a `WritError`), or fails the test. */
export function thrownCode(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
  throw new Error('expected a throw')
}
