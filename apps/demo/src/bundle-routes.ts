/**
 * The demo's audit bundle (spec section 12): `GET /api/bundle` signs a checkpoint note of
 * the current chain and sends the bundle as a download; `GET /api/bundle/trust` sends a
 * trust file for this demo's authority (its published keys and its log keys). The page's
 * drop zone (public/bundle.js) verifies any bundle in the browser with `verifyBundle`.
 */
import type { ServerResponse } from 'node:http'
import { exportAuditBundle, logVerifierKey, signCheckpointNote } from '@writ/core'
import type { Demo } from './demo-types.js'

type BundleDemo = Pick<Demo, 'gate' | 'publishedKeys'>

function send(response: ServerResponse, body: unknown, filename: string): void {
  response.writeHead(200, {
    'content-type': 'application/json; charset=utf-8',
    'content-disposition': `attachment; filename="${filename}"`,
    'cache-control': 'no-store',
  })
  response.end(`${JSON.stringify(body, null, 2)}\n`)
}

/** Answers the bundle routes; false when `path` is not one of them. */
export async function handleBundleRoute(
  demo: BundleDemo,
  method: string,
  path: string,
  response: ServerResponse,
): Promise<boolean> {
  if (method !== 'GET') return false
  const gate = demo.gate
  if (path === '/api/bundle') {
    await signCheckpointNote({
      store: gate.store,
      chainId: gate.chainId,
      issuer: gate.issuer,
      signer: gate.keyRing.active,
    })
    const bundle = await exportAuditBundle({
      store: gate.store,
      chainId: gate.chainId,
      keys: await demo.publishedKeys(),
      policies: [gate.policy],
    })
    send(response, bundle, `writ-audit-bundle-${gate.chainId}.json`)
    return true
  }
  if (path === '/api/bundle/trust') {
    const keys = await demo.publishedKeys()
    const logs = keys.keys.map((key) => logVerifierKey(gate.issuer, gate.chainId, key))
    send(response, { keys, logs, witnesses: [], quorum: 0 }, 'writ-trust.json')
    return true
  }
  return false
}
