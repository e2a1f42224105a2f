import { describe, expect, it } from 'vitest'
import { problem, statusOf } from './problem.js'

describe('statusOf', () => {
  it.each([
    ['GATE_TIMEOUT', 504],
    ['STORE_UNAVAILABLE', 503],
    ['SIGNER_UNAVAILABLE', 503],
    ['STORE_FULL', 503],
    ['KEY_MISSING', 503],
    ['KEY_INVALID', 503],
    ['GATE_ERROR', 500],
    ['POLICY_INVALID', 500],
  ])('answers %s with %i', (code, status) => {
    expect(statusOf(code)).toBe(status)
  })
})

describe('problem', () => {
  it('is problem+json with the code as title and a type named after it', async () => {
    const response = problem(429, 'RATE_LIMITED', 'slow down', {}, { 'retry-after': '2' })
    expect(response.status).toBe(429)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(response.headers.get('retry-after')).toBe('2')
    expect(await response.json()).toEqual({
      type: 'https://writ.dev/problems/rate_limited',
      title: 'RATE_LIMITED',
      status: 429,
      code: 'RATE_LIMITED',
      detail: 'slow down',
    })
  })
})
