/**
 * The approvals page's files: its HTML, script and styles (in the package's `assets`
 * folder) and the browser half of `@simplewebauthn`. Read once, on first request.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hono } from 'hono'

const ASSETS = fileURLToPath(new URL('../../assets/', import.meta.url))

const FILES: Readonly<Record<string, { path: () => string; type: string }>> = {
  '/approvals': { path: () => join(ASSETS, 'approvals.html'), type: 'text/html; charset=utf-8' },
  '/approvals/assets/approvals.js': {
    path: () => join(ASSETS, 'approvals.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/approvals/assets/approvals.css': {
    path: () => join(ASSETS, 'approvals.css'),
    type: 'text/css; charset=utf-8',
  },
  '/approvals/assets/webauthn.js': {
    path: () => {
      const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser')
      return join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js')
    },
    type: 'text/javascript; charset=utf-8',
  },
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

/** Serves the page and its scripts. */
export function registerPageAssets(app: Hono): void {
  const cache = new Map<string, string>()
  for (const [route, file] of Object.entries(FILES)) {
    app.get(route, async () => {
      let body = cache.get(route)
      if (body === undefined) {
        body = await readFile(file.path(), 'utf8')
        cache.set(route, body)
      }
      return new Response(body, { headers: { 'content-type': file.type, ...SECURITY_HEADERS } })
    })
  }
}
