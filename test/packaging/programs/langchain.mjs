// Installed from packed tarballs: @writ/langchain's gateTool around a LangChain tool().
import { tool } from '@langchain/core/tools'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { gateTool } from '@writ/langchain'
import { z } from 'zod'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: no-mallory
    effect: deny
    actions: [payments.transfer]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000
`),
  keys: generateSigningKey(),
  issuer: 'https://authority.example',
})

const executed = []
const transfer = gateTool(
  gate,
  tool(
    async ({ to, amount }) => {
      executed.push({ to, amount })
      return `sent ${amount} to ${to}`
    },
    {
      name: 'payments.transfer',
      description: 'Transfer money',
      schema: z.object({ to: z.string(), amount: z.number() }),
    },
  ),
)
const permitted = await transfer.invoke({
  type: 'tool_call',
  id: 'call_1',
  name: 'payments.transfer',
  args: { to: 'alice', amount: 250 },
})
const denied = await transfer.invoke({
  type: 'tool_call',
  id: 'call_2',
  name: 'payments.transfer',
  args: { to: 'mallory', amount: 10 },
})
const refusal = JSON.parse(denied.content)
console.log(
  JSON.stringify({
    executed,
    permitted: [permitted.status ?? 'success', permitted.content],
    denied: [denied.status, refusal.decision, refusal.reason],
  }),
)
