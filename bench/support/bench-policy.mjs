// The policy and request every decision benchmark uses, so that the suites (and the
// processes they start) time the same decision.
import { compilePolicy } from '@writ/core'

/** Small transfers in USD or EUR are permitted; any payment to mallory is denied. */
export const BENCH_POLICY_TEXT = `writ: 1
id: bench-payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000 && args.currency in ['USD', 'EUR']
  - id: sanctioned
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory'
`

/** The policy compiled, as the benchmarks load it. */
export const benchPolicy = () => compilePolicy(BENCH_POLICY_TEXT, { source: 'bench.yaml' })

/** The arguments of the benchmarks' request: a PERMIT by `small-transfers`. */
export const BENCH_ARGS = { to: 'acme', amount: 250, currency: 'EUR', memo: 'invoice 2291' }

/** The request every decision benchmark makes. */
export const BENCH_REQUEST = {
  action: 'payments.transfer',
  args: BENCH_ARGS,
  agent: 'bench-agent',
}
