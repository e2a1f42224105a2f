/**
 * The gate's bound on one decision: past it the caller gets `GATE_TIMEOUT` and the
 * action must not run, whatever the work does later.
 *
 * Decisions that share a bound share one timer. Their deadlines are enrolled in order
 * (same bound, later start, later deadline), so one timer armed for the oldest pending
 * deadline serves them all: a decision costs an entry in a queue, not a timer of its own,
 * and the timer keeps the process alive only while a decision is pending.
 */
import { WritError } from '@writ/verify'

interface Pending {
  readonly deadline: number
  settled: boolean
  readonly expire: () => void
}

type TimerHandle = ReturnType<typeof setTimeout>

/** The pending decisions of one bound, oldest first, and the one timer that watches them. */
interface DeadlineQueue {
  readonly timeoutMs: number
  /** The timer functions the queue was made with (a test may swap them for fake ones). */
  readonly setTimer: typeof setTimeout
  readonly entries: Pending[]
  head: number
  live: number
  timer: TimerHandle | undefined
  /** The deadline the timer is armed for. */
  armedFor: number
}

const queues = new Map<number, DeadlineQueue>()

function queueFor(timeoutMs: number): DeadlineQueue {
  let queue = queues.get(timeoutMs)
  if (queue === undefined || queue.setTimer !== globalThis.setTimeout) {
    queue = {
      timeoutMs,
      setTimer: globalThis.setTimeout,
      entries: [],
      head: 0,
      live: 0,
      timer: undefined,
      armedFor: 0,
    }
    queues.set(timeoutMs, queue)
  }
  return queue
}

/** Drops settled entries from the front; compacts the array once most of it is spent. */
function dropSettled(queue: DeadlineQueue): void {
  const { entries } = queue
  while (queue.head < entries.length && entries[queue.head]?.settled === true) queue.head++
  if (queue.head === entries.length) {
    entries.length = 0
    queue.head = 0
  } else if (queue.head >= 1024 && queue.head * 2 >= entries.length) {
    entries.splice(0, queue.head)
    queue.head = 0
  }
}

function arm(queue: DeadlineQueue, deadline: number): void {
  queue.armedFor = deadline
  const delay = Math.max(1, Math.ceil(deadline - performance.now()))
  const timer = queue.setTimer(() => fire(queue), delay)
  queue.timer = timer
  if (queue.live === 0) timer.unref?.()
}

/** The timer went off: every decision enrolled up to the armed deadline is out of time. */
function fire(queue: DeadlineQueue): void {
  queue.timer = undefined
  const { entries } = queue
  while (queue.head < entries.length) {
    const entry = entries[queue.head] as Pending
    if (!entry.settled) {
      if (entry.deadline > queue.armedFor) break
      entry.expire()
    }
    queue.head++
  }
  dropSettled(queue)
  const next = entries[queue.head]
  if (next !== undefined) arm(queue, next.deadline)
}

function enrol(queue: DeadlineQueue, expire: () => void): Pending {
  dropSettled(queue)
  const entry: Pending = { deadline: performance.now() + queue.timeoutMs, settled: false, expire }
  queue.entries.push(entry)
  queue.live++
  if (queue.timer === undefined) arm(queue, entry.deadline)
  else if (queue.live === 1) queue.timer.ref?.()
  return entry
}

function settle(queue: DeadlineQueue, entry: Pending): void {
  entry.settled = true
  queue.live--
  // Idle: the armed timer stays (the next decision reuses it) but no longer holds the process.
  if (queue.live === 0) queue.timer?.unref?.()
}

const timeoutError = (timeoutMs: number): WritError =>
  new WritError('GATE_TIMEOUT', `No decision within ${timeoutMs} ms; the action must not run.`)

/**
 * Runs `work` bounded by `timeoutMs`. Rejects with `GATE_TIMEOUT` once the time is up,
 * with `work`'s own `WritError`, or with `GATE_ERROR` for any other failure.
 */
export function withTimeout<T>(timeoutMs: number, work: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const queue = queueFor(timeoutMs)
    const entry = enrol(queue, () => {
      entry.settled = true
      queue.live--
      reject(timeoutError(timeoutMs))
    })
    let running: Promise<T>
    try {
      running = work()
    } catch (error) {
      running = Promise.reject(error)
    }
    running.then(
      (value) => {
        if (entry.settled) return
        settle(queue, entry)
        resolve(value)
      },
      (error: unknown) => {
        if (entry.settled) return
        settle(queue, entry)
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
