// Measures policy evaluation on the hot path: a 10-rule policy and a 10,000-rule policy,
// evaluations per second of one compiled policy (after warm-up).
//
//   npx tsx bench/cel/policy-evaluate.ts
import { compilePolicy } from '../../packages/core/src/policy/index.js'

function policyWith(count: number) {
  const rules: object[] = [
    {
      id: 'small',
      effect: 'permit',
      actions: ['payments.transfer'],
      when: "args.amount <= 1000 && args.currency in ['USD', 'EUR']",
    },
    {
      id: 'blocked',
      effect: 'deny',
      actions: ['payments.*'],
      when: "args.to.startsWith('sanctioned_')",
    },
  ]
  for (let index = rules.length; index < count; index++) {
    rules.push({
      id: `rule-${index}`,
      effect: index % 3 === 0 ? 'deny' : 'permit',
      actions: [index % 2 === 0 ? `service${index}.*` : `service${index}.read`],
      when: `args.n == ${index}`,
    })
  }
  return compilePolicy({ writ: 1, id: 'bench', rules } as never)
}

const input = {
  action: 'payments.transfer',
  args: { amount: 250, currency: 'USD', to: 'acct_1' },
  agent: 'bot-7',
  context: {},
  now: 1_736_942_400,
}
const results: Record<string, number> = {}
for (const count of [10, 10_000]) {
  const policy = policyWith(count)
  for (let index = 0; index < 50_000; index++) policy.evaluate(input)
  const iterations = 500_000
  const start = process.hrtime.bigint()
  for (let index = 0; index < iterations; index++) policy.evaluate(input)
  const nanoseconds = Number(process.hrtime.bigint() - start)
  results[`${count} rules`] = Math.round(nanoseconds / iterations)
}
console.log(JSON.stringify({ node: process.version, nanosecondsPerEvaluation: results }, null, 2))
