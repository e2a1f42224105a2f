import type { StoredCheckpoint } from '@writ/core'
import type { Hono } from 'hono'
import { problem, storeUnavailable, unauthenticated } from '../problem.js'
import type { RouteContext } from './route-context.js'

/** `GET /v1/checkpoints/latest` (public) and `POST /v1/checkpoints` (operators). */
export function registerCheckpointRoutes(app: Hono, context: RouteContext): void {
  const { gate } = context
  app.get('/v1/checkpoints/latest', async (http) => {
    const chain = http.req.query('chain') ?? gate.chainId
    try {
      const checkpoint = await gate.store.latestCheckpoint(chain)
      return checkpoint
        ? http.json(checkpoint)
        : problem(404, 'CHECKPOINT_INVALID', `No checkpoint for chain ${chain} yet.`)
    } catch (error) {
      return storeUnavailable(error, 'The store is unavailable.')
    }
  })

  app.post('/v1/checkpoints', async (http) => {
    const principal = context.principalOf(http.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    if (principal.kind !== 'operator')
      return problem(403, 'OPERATOR_REQUIRED', 'Only an operator token may issue checkpoints.')
    try {
      const checkpoint: StoredCheckpoint = await gate.checkpoint()
      // The same checkpoint as a C2SP signed note, cosigned by the witnesses (spec section 12).
      const { note } = await context.checkpoints.publish()
      return http.json({ ...checkpoint, note: note.note }, 201)
    } catch (error) {
      return storeUnavailable(error, 'No checkpoint could be issued.')
    }
  })
}
