// A reset's folders and keys read the way the page tells them: world N in world-N,
// and the previous world's keys.json says its key was retired by the rotation.
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Demo, startDemo } from '../src/index.js'

let demo: Demo

beforeAll(async () => {
  demo = await startDemo({ web: false })
}, 120_000)
afterAll(async () => {
  await demo?.close()
})

describe('demo worlds', () => {
  it('keeps world 2 in world-2 and marks world 1 key retired in its keys.json', async () => {
    const first = demo.world()
    const second = await demo.reset()
    expect(second.generation).toBe(2)
    expect(basename(second.dataDir)).toBe('world-2')
    const keys = JSON.parse(readFileSync(first.keysPath, 'utf8')) as {
      keys: { kid: string; status?: string }[]
    }
    expect(keys.keys.find((key) => key.kid === first.activeKid)?.status).toBe('retired')
    expect(keys.keys.find((key) => key.kid === second.activeKid)?.status ?? 'active').toBe('active')
  })

  it('marks the daily-limit card failed when a rerun refuses all three transfers', async () => {
    await demo.reset()
    const first = await demo.runScenario('payment-daily-limit')
    expect(first.passed).toBe(true)
    const rerun = await demo.runScenario('payment-daily-limit')
    expect(rerun.steps.map((step) => step.decision)).toEqual(['DENY', 'DENY', 'DENY'])
    expect(rerun.passed).toBe(false)
  }, 60_000)
})
