import { WritError } from '@writ/verify'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { rejectionCode } from '../test/support.js'
import { withTimeout } from './with-timeout.js'

describe('withTimeout', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('resolves with the work, and many decisions share one timer', async () => {
    await expect(withTimeout(100, async () => 'done')).resolves.toBe('done')
    const many = Array.from({ length: 50 }, (_, index) => withTimeout(100, async () => index))
    expect(vi.getTimerCount()).toBeLessThanOrEqual(1)
    expect(await Promise.all(many)).toHaveLength(50)
    // Once every decision is answered the shared timer fires at most once and is gone.
    await vi.advanceTimersByTimeAsync(100)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('times out each decision at its own deadline, not at the oldest one', async () => {
    const first = rejectionCode(withTimeout(100, () => new Promise(() => {})))
    await vi.advanceTimersByTimeAsync(60)
    let secondCode: string | undefined
    const second = rejectionCode(withTimeout(100, () => new Promise(() => {}))).then((code) => {
      secondCode = code
      return code
    })
    const answered = withTimeout(100, async () => 'fast')
    await vi.advanceTimersByTimeAsync(40)
    expect(await first).toBe('GATE_TIMEOUT')
    expect(await answered).toBe('fast')
    expect(secondCode).toBeUndefined()
    await vi.advanceTimersByTimeAsync(60)
    expect(await second).toBe('GATE_TIMEOUT')
  })

  it('turns a synchronous throw into GATE_ERROR', async () => {
    const thrown = withTimeout(100, () => {
      throw new Error('sync')
    })
    expect(await rejectionCode(thrown)).toBe('GATE_ERROR')
  })

  it('rejects with GATE_TIMEOUT once the time is up, whatever the work does later', async () => {
    const pending = rejectionCode(withTimeout(100, () => new Promise(() => {})))
    await vi.advanceTimersByTimeAsync(100)
    expect(await pending).toBe('GATE_TIMEOUT')
  })

  it('passes on a WritError and wraps anything else as GATE_ERROR', async () => {
    const coded = withTimeout(100, () => Promise.reject(new WritError('STORE_FULL', 'full')))
    expect(await rejectionCode(coded)).toBe('STORE_FULL')
    expect(await rejectionCode(withTimeout(100, () => Promise.reject(new Error('x'))))).toBe(
      'GATE_ERROR',
    )
  })
})
