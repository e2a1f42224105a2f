/**
 * The gate's bound on one decision: past it the caller gets `GATE_TIMEOUT` and the
 * action must not run, whatever the work does later.
 */
import { WritError } from '@writ/verify'

/**
 * Runs `work` bounded by `timeoutMs`. Rejects with `GATE_TIMEOUT` once the time is up,
 * with `work`'s own `WritError`, or with `GATE_ERROR` for any other failure.
 */
export function withTimeout<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new WritError(
          'GATE_TIMEOUT',
          `No decision within ${timeoutMs} ms; the action must not run.`,
        ),
      )
    }, timeoutMs)
    work().then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(
          WritError.isInstance(error)
            ? error
            : new WritError('GATE_ERROR', 'The gate failed; the action must not run.', {
                cause: error,
              }),
        )
      },
    )
  })
}
