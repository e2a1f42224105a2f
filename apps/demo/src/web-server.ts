/**
 * The demo's web page and its small JSON API, on `node:http`, 127.0.0.1. The page
 * verifies receipts itself, in the browser, with the keys published at
 * `/.well-known/writ/keys.json`.
 */
import { readFile } from 'node:fs/promises'
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { handleApprovalsRequest } from './approvals-routes.js'
import { handleBundleRoute } from './bundle-routes.js'
import type { Demo } from './demo-types.js'
import { handleEvidenceRoute } from './evidence-routes.js'
import { BROWSER_BUNDLE_PATH, PACKAGE_ROOT } from './paths.js'

/** The running web server. */
export interface WebServer {
  readonly url: string
  /** The port asked for, when it was taken and a free one is used instead; else `null`. */
  readonly portTaken: number | null
  close(): Promise<void>
}

/**
 * Listens on `port` at 127.0.0.1; when that port is taken (`EADDRINUSE`), on a free
 * one instead. Any other failure rejects.
 */
export async function listenPreferring(
  server: Server,
  port: number,
): Promise<{ port: number; portTaken: number | null }> {
  const attempt = (candidate: number) =>
    new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        server.off('listening', onListening)
        reject(error)
      }
      const onListening = () => {
        server.off('error', onError)
        resolve()
      }
      server.once('error', onError)
      server.once('listening', onListening)
      server.listen(candidate, '127.0.0.1')
    })
  let portTaken: number | null = null
  try {
    await attempt(port)
  } catch (error) {
    if (port === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    portTaken = port
    await attempt(0)
  }
  return { port: (server.address() as AddressInfo).port, portTaken }
}

const staticFiles: Readonly<Record<string, { file: string; type: string }>> = Object.assign(
  Object.create(null),
  {
    '/': { file: join(PACKAGE_ROOT, 'public', 'index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { file: join(PACKAGE_ROOT, 'public', 'app.js'), type: 'text/javascript' },
    '/style.css': { file: join(PACKAGE_ROOT, 'public', 'style.css'), type: 'text/css' },
    '/approvals.js': {
      file: join(PACKAGE_ROOT, 'public', 'approvals.js'),
      type: 'text/javascript',
    },
    '/assets/verify.js': { file: BROWSER_BUNDLE_PATH, type: 'text/javascript' },
    '/bundle.js': { file: join(PACKAGE_ROOT, 'public', 'bundle.js'), type: 'text/javascript' },
    '/evidence.js': { file: join(PACKAGE_ROOT, 'public', 'evidence.js'), type: 'text/javascript' },
  },
)

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  })
  response.end(JSON.stringify(body))
}

/**
 * Serves the page and the API of `demo` on `port` (0 for a free one; a taken port
 * falls back to a free one).
 *
 * API: `GET /api/scenarios`, `POST /api/scenarios/:id/run` (on the current state),
 * `POST /api/run-all` (a fresh world, then every scenario), `POST /api/reset`
 * (`?ifUsed=1`: only when a scenario ran since the last reset), `GET /api/state`
 * (world, results and services), `GET /api/chain` (receipts and latest checkpoint),
 * `GET /policy.yaml`, `GET /.well-known/writ/keys.json`.
 */
export async function startWebServer(
  demo: Omit<Demo, 'url' | 'portTaken' | 'close'>,
  port: number,
): Promise<WebServer> {
  const server = createServer((request, response) => {
    const method = request.method ?? 'GET'
    const [path = '/', query = ''] = (request.url ?? '/').split('?')
    const handle = async (): Promise<void> => {
      if (method === 'GET' && Object.hasOwn(staticFiles, path)) {
        const entry = staticFiles[path]
        if (entry === undefined) return
        let content: Buffer
        try {
          content = await readFile(entry.file)
        } catch {
          response.writeHead(404, { 'content-type': 'text/plain' })
          response.end(`${path} is missing: run \`npm run build\` first`)
          return
        }
        response.writeHead(200, { 'content-type': entry.type, 'cache-control': 'no-store' })
        response.end(content)
        return
      }
      if (method === 'GET' && path === '/.well-known/writ/keys.json') {
        response.writeHead(200, {
          'content-type': 'application/jwk-set+json',
          'cache-control': 'no-store',
        })
        response.end(JSON.stringify(await demo.publishedKeys()))
        return
      }
      if (await handleBundleRoute(demo, method, path, response)) return
      if (await handleEvidenceRoute(demo, method, path, response)) return
      if (method === 'GET' && path === '/policy.yaml') {
        response.writeHead(200, { 'content-type': 'text/yaml; charset=utf-8' })
        response.end(demo.policyText)
        return
      }
      if (method === 'GET' && path === '/api/scenarios') {
        sendJson(response, 200, { scripted: demo.scripted, scenarios: demo.scenarios() })
        return
      }
      if (method === 'GET' && path === '/api/state') {
        sendJson(response, 200, {
          world: demo.world(),
          results: demo.results(),
          services: demo.servicesState(),
          policy: { id: demo.gate.policy.id, digest: demo.gate.policy.digest },
        })
        return
      }
      if (method === 'GET' && path === '/api/chain') {
        sendJson(response, 200, await demo.chain())
        return
      }
      if (method === 'POST' && path === '/api/run-all') {
        const results = await demo.runAll()
        sendJson(response, 200, { world: demo.world(), results })
        return
      }
      if (method === 'POST' && path === '/api/reset') {
        const ifUsed = new URLSearchParams(query).get('ifUsed') === '1'
        sendJson(response, 200, { world: await demo.reset({ ifUsed }) })
        return
      }
      if (await handleApprovalsRequest(demo, { method, path, request, response })) return
      const run = /^\/api\/scenarios\/([a-z0-9-]{1,64})\/run$/.exec(path)
      if (method === 'POST' && run !== null) {
        const id = run[1] ?? ''
        if (!demo.scenarios().some((scenario) => scenario.id === id)) {
          sendJson(response, 404, { error: 'no such scenario' })
          return
        }
        sendJson(response, 200, { result: await demo.runScenario(id) })
        return
      }
      sendJson(response, 404, { error: 'not found' })
    }
    handle().catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: String(error) })
      else response.end()
    })
  })
  const listening = await listenPreferring(server, port)
  return {
    url: `http://127.0.0.1:${listening.port}/`,
    portTaken: listening.portTaken,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
