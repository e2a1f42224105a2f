/**
 * The payments fixture: one small policy and a gate factory that the tests of core and
 * of every adapter share, so that they all decide the same requests the same way.
 *
 * The policy permits `payments.transfer` up to 1000, denies any `payments.*` call to
 * `mallory` (`SANCTIONED_PAYEE`), denies every `exports.*` call (`EXPORTS_FORBIDDEN`),
 * and permits `accounts.lookup` and `reports.read`. Anything else is SILENCE.
 */
import { createGate, type GateOptions, type LocalGate } from '../gate.js'
import { generateSigningKey } from '../keys.js'
import { createMemoryStore } from '../memory-store.js'
import { compilePolicy } from '../policy/index.js'

/** Options of {@link paymentsPolicyTextWith}. */
export interface PaymentsPolicyOptions {
  /**
   * Where the tool's arguments sit in what the policy sees: `'args'` (default) for a tool
   * call, `'args.body'` for an HTTP request that carries them as its JSON body.
   */
  readonly argumentsAt?: 'args' | 'args.body'
  /**
   * Adds the limit `daily-spend`: per agent, the transferred amounts of 24 hours may add
   * up to at most this much (`DAILY_SPEND` once over). No limit when left out.
   */
  readonly dailySpendLimit?: number
}

/** The issuer of the fixture's gates. */
export const paymentsIssuer = 'https://writ.test'

/** The fixture's agent when a request names none. */
export const paymentsAgent = 'agent-7'

/** The payments policy text with the given options (see {@link PaymentsPolicyOptions}). */
export function paymentsPolicyTextWith(options: PaymentsPolicyOptions = {}): string {
  const at = options.argumentsAt ?? 'args'
  const rules = `writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: ${at}.amount <= 1000
  - id: no-sanctioned
    effect: deny
    actions: [payments.*]
    when: ${at}.to == 'mallory'
    reason: SANCTIONED_PAYEE
  - id: no-exports
    effect: deny
    actions: [exports.*]
    reason: EXPORTS_FORBIDDEN
  - id: lookups
    effect: permit
    actions: [accounts.lookup, reports.read]
`
  if (options.dailySpendLimit === undefined) return rules
  return `${rules}limits:
  - id: daily-spend
    actions: [payments.transfer]
    per: agent
    window: 24h
    sum: ${at}.amount
    max: ${options.dailySpendLimit}
    reason: DAILY_SPEND
`
}

/** The payments policy text for tool calls, without limits. */
export const paymentsPolicyText: string = paymentsPolicyTextWith()

/** Options of {@link createPaymentsGate}: the policy's options plus any gate option. */
export type PaymentsGateOptions = PaymentsPolicyOptions & Partial<GateOptions>

/**
 * A real gate over the payments policy, with a fresh signing key, an in-memory store,
 * issuer {@link paymentsIssuer} and default agent {@link paymentsAgent}. Any gate option
 * given overrides these (a `policy` given replaces the payments policy).
 *
 * @example
 * ```ts
 * const gate = createPaymentsGate({ dailySpendLimit: 1000 })
 * const decision = await gate.authorize({ action: 'payments.transfer', args: { to: 'bob', amount: 5 } })
 * ```
 */
export function createPaymentsGate(options: PaymentsGateOptions = {}): LocalGate {
  const { argumentsAt, dailySpendLimit, ...gateOptions } = options
  const policyOptions: PaymentsPolicyOptions = {
    ...(argumentsAt === undefined ? {} : { argumentsAt }),
    ...(dailySpendLimit === undefined ? {} : { dailySpendLimit }),
  }
  return createGate({
    policy: compilePolicy(paymentsPolicyTextWith(policyOptions), { source: 'payments.yaml' }),
    keys: generateSigningKey(),
    issuer: paymentsIssuer,
    store: createMemoryStore(),
    defaultAgent: paymentsAgent,
    ...gateOptions,
  })
}
