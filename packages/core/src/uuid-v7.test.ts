import { describe, expect, it } from 'vitest'
import { createUuidV7Generator, uuidV7 } from './uuid-v7.js'

const pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe('uuidV7', () => {
  it('writes version 7, variant 10 and the millisecond timestamp', () => {
    const next = createUuidV7Generator(() => 0x0123456789ab)
    const id = next()
    expect(id).toMatch(pattern)
    expect(id.slice(0, 13)).toBe('01234567-89ab')
  })

  it('strictly increases within a millisecond, across counter overflow and when the clock steps back', () => {
    let now = 1_700_000_000_000
    const next = createUuidV7Generator(() => now)
    const ids: string[] = []
    for (let index = 0; index < 10_000; index += 1) {
      if (index === 5000) now -= 10_000
      ids.push(next())
    }
    for (let index = 1; index < ids.length; index += 1)
      expect(ids[index]! > ids[index - 1]!).toBe(true)
    expect(ids.every((id) => pattern.test(id))).toBe(true)
  })

  it('shares one monotonic generator across the process', () => {
    const ids = Array.from({ length: 1000 }, () => uuidV7())
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(1000)
  })
})
