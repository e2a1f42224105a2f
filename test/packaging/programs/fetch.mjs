// Installed from packed tarballs: a gated fetch against a node:http receiver that runs
// the receipt guard from @writ/fetch/node (127.0.0.1 only).
import { createServer } from 'node:http'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { createGatedFetch } from '@writ/fetch'
import { nodeReceiptGuard } from '@writ/fetch/node'
import { createReceiptGuard } from '@writ/fetch/receiver'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [http.post]
    when: args.body.amount > 0 && args.body.amount <= 1000
`),
  keys: generateSigningKey(),
  issuer: 'https://authority.example',
})
const keys = await gate.keys()

const executed = []
let handler = (_request, response) => response.writeHead(503).end()
const server = createServer((request, response) => handler(request, response))
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`
handler = nodeReceiptGuard(
  { keys, audience: origin, replay: 'memory' },
  (_request, response, writ) => {
    executed.push(JSON.parse(new TextDecoder().decode(writ.body)))
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')
  },
)

const gatedFetch = createGatedFetch(gate, { agent: 'billing-bot' })
const post = (fetchFunction, body) =>
  fetchFunction(`${origin}/v1/transfers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
try {
  const permitted = await post(gatedFetch, { to: 'alice', amount: 250 })
  const silent = await post(gatedFetch, { to: 'alice', amount: 5000 })
  const direct = await post(fetch, { to: 'alice', amount: 250 })
  console.log(
    JSON.stringify({
      executed,
      statuses: [permitted.status, silent.status, direct.status],
      directCode: (await direct.json()).code,
      receiverGuard: typeof createReceiptGuard,
    }),
  )
} finally {
  server.closeAllConnections()
  server.close()
}
