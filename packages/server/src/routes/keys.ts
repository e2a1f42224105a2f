import type { Hono } from 'hono'
import type { RouteContext } from './route-context.js'

/** `GET /.well-known/writ/keys.json`: the public keys receivers verify receipts with. */
export function registerKeyRoutes(app: Hono, { gate }: RouteContext): void {
  app.get('/.well-known/writ/keys.json', async (http) => {
    http.header('cache-control', 'public, max-age=60')
    return http.json(await gate.keys())
  })
}
