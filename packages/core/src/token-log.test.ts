import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createTokenLog } from './token-log.js'

const token = (seq: number): string => `eyJ${'a'.repeat(seq % 7)}.${seq}.sig-${'b'.repeat(seq % 5)}`
const ascii = (bytes: Uint8Array): string => String.fromCharCode(...bytes)

describe('token log', () => {
  it('gives back every token, its bytes, and its bytes after one 0x00, across chunks', () => {
    const log = createTokenLog(Number.POSITIVE_INFINITY, 64)
    for (let seq = 0; seq < 200; seq++) log.push(token(seq))
    expect(log.length).toBe(200)
    expect(log.first).toBe(0)
    for (let seq = 0; seq < 200; seq++) {
      expect(log.token(seq)).toBe(token(seq))
      expect(ascii(log.tokenBytes(seq))).toBe(token(seq))
      const leaf = log.leafInput(seq)
      expect(leaf[0]).toBe(0)
      expect(ascii(leaf.subarray(1))).toBe(token(seq))
    }
  })

  it('gives a token longer than a chunk a chunk of its own', () => {
    const log = createTokenLog(Number.POSITIVE_INFINITY, 16)
    const long = 'x'.repeat(100)
    log.push('short')
    log.push(long)
    log.push('after')
    expect([log.token(0), log.token(1), log.token(2)]).toEqual(['short', long, 'after'])
  })

  it.each([
    ['a Latin-1 letter', 'eyJ.é.sig'],
    ['a letter beyond Latin-1 whose low byte is ASCII', 'eyJ.\u0141.sig'],
    ['an emoji', 'eyJ.\u{1F600}.sig'],
    ['a lone surrogate', 'eyJ.\ud800.sig'],
  ])('refuses a token with %s with STORE_CONFLICT and stays unchanged', (_name, bad) => {
    const log = createTokenLog(Number.POSITIVE_INFINITY, 64)
    log.push('first')
    let caught: unknown
    try {
      log.push(bad)
    } catch (error) {
      caught = error
    }
    expect(WritError.isInstance(caught) && caught.code).toBe('STORE_CONFLICT')
    expect(log.length).toBe(1)
    log.push('second')
    expect([log.token(0), log.token(1)]).toEqual(['first', 'second'])
  })

  it('with keep, drops whole old chunks, reports them, and refuses to read them', () => {
    const log = createTokenLog(5, 64)
    const dropped: number[] = []
    for (let seq = 0; seq < 300; seq++) {
      const [from, to] = log.push(token(seq))
      for (let gone = from; gone < to; gone++) dropped.push(gone)
      expect(log.length - log.first).toBeGreaterThanOrEqual(Math.min(5, log.length))
    }
    expect(log.first).toBeGreaterThan(200)
    // Every dropped seq is reported once, in order, and only dropped seqs are.
    expect(dropped).toEqual(Array.from({ length: log.first }, (_, seq) => seq))
    expect(() => log.token(log.first - 1)).toThrow(RangeError)
    expect(() => log.token(log.length)).toThrow(RangeError)
    // Tokens written into reused chunks read back whole, with nothing of what was there.
    for (let seq = log.first; seq < log.length; seq++) expect(log.token(seq)).toBe(token(seq))
  })
})
