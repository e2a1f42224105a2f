import type { ReceiptClaims } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createMemorySessions } from './memory-sessions.js'
import { MAX_SESSION_HISTORY_ENTRIES, type StoredSessionEntry } from './session-history.js'

// The in-memory sessions keep a window over one array instead of copying it per decision.
// What a gate reads must be exactly what the plain model below (filter, then keep the
// newest) gives, for clocks that only move forward and for clocks that step back.

interface ModelEntry {
  readonly time: number
  readonly rule: string
}

/** The plain model: every write filters the whole history, as the store once did. */
function model() {
  let entries: ModelEntry[] = []
  return {
    write(time: number, keepSeconds: number, rule: string) {
      entries = entries.filter((entry) => entry.time >= time - keepSeconds)
      entries = entries.slice(-MAX_SESSION_HISTORY_ENTRIES)
      entries.push({ time, rule })
    },
    read(since: number, max: number) {
      return entries.filter((entry) => entry.time >= since).slice(-(max + 1))
    },
  }
}

function claims(rule: string): ReceiptClaims {
  return { act: { name: 'a.b', args: '' }, decision: 'PERMIT', rule } as unknown as ReceiptClaims
}

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let value = Math.imul(state ^ (state >>> 15), 1 | state)
    value = (value + Math.imul(value ^ (value >>> 7), 61 | value)) ^ value
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296
  }
}

const rulesOf = (entries: readonly StoredSessionEntry[] | readonly ModelEntry[]) =>
  entries.map((entry) => `${entry.rule}@${entry.time}`)

describe('memory sessions', () => {
  for (const [name, backwards] of [
    ['a clock that only moves forward', 0],
    ['a clock that sometimes steps back', 0.02],
  ] as const) {
    it(`reads what the plain model reads, with ${name}`, async () => {
      const next = random(backwards === 0 ? 1 : 2)
      const sessions = createMemorySessions(() => {})
      const reference = model()
      let time = 1_000_000
      // Past the count bound (4,096) and across several age windows.
      for (let step = 0; step < 12_000; step++) {
        time += next() < backwards ? -Math.floor(next() * 400) : Math.floor(next() * 3)
        const keepSeconds = 600 + Math.floor(next() * 600)
        const rule = `r${step}`
        sessions.write({ id: 's', tags: [], keepSeconds }, claims(rule), time)
        reference.write(time, keepSeconds, rule)
        if (step % 97 === 0 || step > 11_990) {
          const since = time - Math.floor(next() * 1500)
          const max = 1 + Math.floor(next() * MAX_SESSION_HISTORY_ENTRIES)
          const read = await sessions.read('s', { since, max })
          expect(rulesOf(read.entries)).toEqual(rulesOf(reference.read(since, max)))
          expect(read.version).toBe(step + 1)
        }
      }
    })
  }

  it('keeps at most one entry past the count bound', async () => {
    const sessions = createMemorySessions(() => {})
    for (let step = 0; step < MAX_SESSION_HISTORY_ENTRIES * 3; step++) {
      sessions.write({ id: 's', tags: ['t'], keepSeconds: 86_400 }, claims(`r${step}`), 5)
    }
    const read = await sessions.read('s', { since: 0, max: MAX_SESSION_HISTORY_ENTRIES * 2 })
    expect(read.entries).toHaveLength(MAX_SESSION_HISTORY_ENTRIES + 1)
    expect(read.entries.at(-1)?.rule).toBe(`r${MAX_SESSION_HISTORY_ENTRIES * 3 - 1}`)
    expect(read.entries[0]?.tags).toEqual(['t'])
  })
})
