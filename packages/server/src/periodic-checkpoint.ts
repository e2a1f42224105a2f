import type { LocalGate } from '@writ/core'
import { WritError } from '@writ/verify'
import type { AuthorityLogger } from './logging.js'
import type { AuthorityMetrics } from './metrics.js'

/**
 * Issues a checkpoint every `intervalMs`; a failure is counted and logged (its code,
 * never its message) and the next interval tries again. Returns the stop function. The
 * timer does not keep the process alive.
 */
export function startPeriodicCheckpoints(
  gate: Pick<LocalGate, 'checkpoint'>,
  intervalMs: number,
  observers: {
    readonly metrics: AuthorityMetrics
    readonly logger: AuthorityLogger
    /** Also sign a checkpoint note and have the witnesses cosign it (spec section 12). */
    readonly publish?: () => Promise<unknown>
  },
): () => void {
  const timer = setInterval(() => {
    const issue = async () => {
      await gate.checkpoint()
      await observers.publish?.()
    }
    issue().catch((error: unknown) => {
      observers.metrics.storeErrors.inc({ code: 'CHECKPOINT' })
      observers.logger.error(
        { event: 'checkpoint-failed', code: WritError.isInstance(error) ? error.code : 'INTERNAL' },
        'the periodic checkpoint could not be issued',
      )
    })
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
