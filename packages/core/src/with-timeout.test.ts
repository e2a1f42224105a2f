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

  it('resolves with the work and leaves no timer behind', async () => {
    await expect(withTimeout(100, async () => 'done')).resolves.toBe('done')
    expect(vi.getTimerCount()).toBe(0)
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
