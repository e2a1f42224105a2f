import type { Hono } from 'hono'
import { problem, storeUnavailable, unauthenticated } from '../problem.js'
import { signingKeyProblem } from '../readiness.js'
import type { RouteContext } from './route-context.js'

/** `GET /healthz`, `GET /readyz` and `GET /metrics` (operators, unless made public). */
export function registerHealthRoutes(app: Hono, context: RouteContext): void {
  const { gate } = context
  app.get('/healthz', (http) => http.json({ status: 'ok' }))

  app.get('/readyz', async (http) => {
    const keyProblem = signingKeyProblem(gate, Math.floor(Date.now() / 1000))
    if (keyProblem !== undefined) return problem(503, 'KEY_INVALID', keyProblem)
    try {
      await gate.store.head(gate.chainId)
      return http.json({
        status: 'ready',
        policy: { id: gate.policy.id, digest: gate.policy.digest },
        chain: gate.chainId,
      })
    } catch (error) {
      return storeUnavailable(error, 'The store is not reachable.')
    }
  })

  app.get('/metrics', (http) => {
    if (!context.publicMetrics) {
      const principal = context.principalOf(http.req.header('authorization'))
      if (principal === undefined) return unauthenticated()
      if (principal.kind !== 'operator')
        return problem(403, 'OPERATOR_REQUIRED', 'Only an operator token may read metrics.')
    }
    http.header('content-type', 'text/plain; version=0.0.4')
    return http.body(context.metrics.render())
  })
}
