/**
 * How `writ serve` stops on SIGTERM or SIGINT: drain, a last checkpoint, close the
 * store, report every stored decision that was not answered, exit 0.
 */
import type { LocalGate, Store } from '@writ/core'
import type { AuthorityServer, BoundAuthority } from '@writ/server'
import { errorCodeOf } from './cli-error.js'
import type { EventLog } from './serve-events.js'

/** Longest wait for decisions that outlived their connections, once the store is closed. */
const SETTLE_MS = 2000

/** Drains `listener` and closes everything `writ serve` opened; resolves with exit code 0. */
export async function shutDown(options: {
  readonly signal: string
  readonly listener: BoundAuthority
  readonly authority: AuthorityServer
  readonly gate: LocalGate
  readonly store: Store
  readonly drainTimeoutMs: number
  readonly log: EventLog
  readonly closeWatch: () => void
}): Promise<number> {
  const { listener, log } = options
  log.info(
    { event: 'drain-started', signal: options.signal, inFlight: listener.inFlight },
    `${options.signal}: draining ${listener.inFlight} requests in flight (up to ${options.drainTimeoutMs} ms)`,
  )
  options.closeWatch()
  options.authority.stop()
  const drained = await listener.drain(options.drainTimeoutMs)
  if (!drained.completed)
    log.warn(
      { event: 'drain-timeout', abandoned: drained.abandoned },
      `drain deadline passed with ${drained.abandoned} requests in flight; their connections were closed`,
    )
  try {
    const checkpoint = await options.gate.checkpoint()
    log.info(
      { event: 'checkpoint', chain: checkpoint.chainId, size: checkpoint.size, when: 'shutdown' },
      `checkpoint of chain ${checkpoint.chainId} at size ${checkpoint.size}`,
    )
  } catch (error) {
    log.error(
      { event: 'checkpoint-failed', code: errorCodeOf(error), when: 'shutdown' },
      'no checkpoint could be issued at shutdown',
    )
  }
  try {
    // Closing writes the appends already queued; their decisions then settle.
    await options.store.close()
  } catch (error) {
    log.error(
      { event: 'store-close-failed', code: errorCodeOf(error) },
      'the store did not close cleanly',
    )
  }
  await listener.settled(SETTLE_MS)
  log.info({ event: 'stopped', signal: options.signal }, 'stopped')
  return 0
}
