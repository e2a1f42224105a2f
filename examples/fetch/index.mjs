// A payment service that executes transfers only on a valid Writ receipt, and an agent
// that calls it through a gated fetch. Offline: everything runs on 127.0.0.1.
//
//   npm run build && npm start -w @writ/example-fetch
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { createGatedFetch } from '@writ/fetch'
import { nodeReceiptGuard } from '@writ/fetch/node'

const quiet = process.argv.includes('--quiet')
const log = (...parts) => {
  if (!quiet) console.log(...parts)
}

// 1. The authority: a policy, a signing key, a gate (embedded here; `writ serve` in production).
const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [http.post]
    when: args.path == '/v1/transfers' && args.body.amount > 0 && args.body.amount <= 1000
  - id: no-mallory
    effect: deny
    actions: [http.post]
    when: args.body.to == 'mallory'
    reason: SANCTIONED_PAYEE
`),
  keys: generateSigningKey(),
  issuer: 'https://writ.example',
})

// 2. The receiving service: it holds only the public keys. It checks each request
// against its own public origin (never the Host header), uses each receipt once
// ('memory': one process; a store's replay cache for several), and runs the request
// exactly as the policy saw it: `writ.view.args`.
const publicKeys = await gate.keys()
const executed = []
let handler = (_request, response) => response.writeHead(503).end()
const server = createServer((request, response) => handler(request, response))
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${server.address().port}`
const guardOptions = { keys: publicKeys, audience: origin, origin, replay: 'memory' }
handler = nodeReceiptGuard(guardOptions, (_request, response, writ) => {
  const transfer = { ...writ.view.args.body }
  executed.push(transfer)
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(
    JSON.stringify({ ok: true, transferred: transfer, receipt: writ.receipt.claims.jti }),
  )
})

// 3. The agent's side: every request goes through the gate first.
const gatedFetch = createGatedFetch(gate, { agent: 'billing-bot' })
const post = (fetchFunction, body, init = {}) =>
  fetchFunction(`${origin}/v1/transfers`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    body: JSON.stringify(body),
  })

try {
  const permitted = await post(gatedFetch, { to: 'alice', amount: 250 })
  log('alice, 250   →', permitted.status, await permitted.json())
  assert.equal(permitted.status, 200)

  const denied = await post(gatedFetch, { to: 'mallory', amount: 10 })
  const refusal = await denied.json()
  log('mallory, 10  →', denied.status, refusal.decision, refusal.reason, refusal.receipt_id)
  assert.equal(denied.status, 403)
  assert.equal(refusal.reason, 'SANCTIONED_PAYEE')

  const silent = await post(gatedFetch, { to: 'alice', amount: 5000 })
  log('alice, 5000  →', silent.status, (await silent.json()).decision)
  assert.equal(silent.status, 403)

  // The agent skips the gate: the service refuses on its own.
  const direct = await post(fetch, { to: 'alice', amount: 250 })
  log('no gate      →', direct.status, (await direct.json()).code)
  assert.equal(direct.status, 401)

  // The agent moves a DENY receipt onto a request: still refused.
  const forced = await post(
    fetch,
    { to: 'mallory', amount: 10 },
    { headers: { 'writ-receipt': refusal.receipt } },
  )
  log('DENY receipt →', forced.status, (await forced.json()).code)
  assert.equal(forced.status, 403)

  assert.deepEqual(executed, [{ to: 'alice', amount: 250 }])
  log('executed exactly once:', executed)
} finally {
  server.close()
}
