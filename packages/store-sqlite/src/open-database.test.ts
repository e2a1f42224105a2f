import { describe, expect, it } from 'vitest'
import { validOpenOptions } from './open-database.js'

describe('validOpenOptions', () => {
  it.each<[number, number | undefined, boolean]>([
    [0, undefined, true],
    [5000, 1, true],
    [-1, undefined, false],
    [1.5, undefined, false],
    [5000, 0, false],
    [5000, 2.5, false],
    [Number.NaN, undefined, false],
  ])('busy timeout %d and page cap %s: %s', (busyTimeoutMs, maxPageCount, valid) => {
    expect(validOpenOptions(busyTimeoutMs, maxPageCount)).toBe(valid)
  })
})
