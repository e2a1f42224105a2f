import { createKeyRing, generateSigningKey } from '@writ/core'
import { createKeySet, verifyChain } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'
import { collect, useTemporaryDirectory } from './helpers.js'
import { startWriter } from './process-runner.js'

const key = generateSigningKey()
const keySet = createKeySet(createKeyRing(key).jwks())

async function readChain(path: string, chainId: string) {
  const store = createSqliteStore({ path })
  try {
    const receipts = await collect(store.receipts(chainId))
    const found = new Set<string>()
    for (const receipt of receipts) found.add(receipt.claims.jti)
    return { receipts, found, tokens: receipts.map((receipt) => receipt.token) }
  } finally {
    await store.close()
  }
}

describe('durability across processes', () => {
  const directory = useTemporaryDirectory()

  it('keeps every acknowledged PERMIT when the writer is SIGKILLed at random moments', async () => {
    const path = directory.file()
    const acknowledged: string[] = []
    const rounds = 6
    for (let round = 0; round < rounds; round++) {
      const writer = startWriter({
        path,
        chainId: 'main',
        mode: round % 2 === 0 ? 'plain' : 'group',
        count: 0,
        key,
      })
      await writer.ready
      // Let it write a little, then kill it at a random moment mid-stream.
      await writer.printed(5 + Math.floor(Math.random() * 40))
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 30)))
      writer.child.kill('SIGKILL')
      const exit = await writer.exited
      expect(exit.signal).toBe('SIGKILL')
      acknowledged.push(...writer.jtis)
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(rounds * 5)
    const { found, tokens } = await readChain(path, 'main')
    const missing = acknowledged.filter((jti) => !found.has(jti))
    expect(missing).toEqual([])
    const result = await verifyChain(tokens, keySet)
    expect(result).toMatchObject({ valid: true, chainId: 'main', size: tokens.length })
  }, 120_000)

  it('two processes appending to one file keep one contiguous chain', async () => {
    const path = directory.file()
    const perWriter = 150
    const writers = [
      startWriter({ path, chainId: 'shared', mode: 'plain', count: perWriter, key }),
      startWriter({ path, chainId: 'shared', mode: 'group', count: perWriter, key }),
    ]
    const exits = await Promise.all(writers.map((writer) => writer.exited))
    for (const exit of exits) expect(exit).toMatchObject({ code: 0 })
    const { receipts, found, tokens } = await readChain(path, 'shared')
    expect(receipts).toHaveLength(2 * perWriter)
    expect(receipts.map((receipt) => receipt.claims.chain.seq)).toEqual(
      receipts.map((_, index) => index),
    )
    for (const writer of writers) {
      expect(writer.jtis).toHaveLength(perWriter)
      expect(writer.jtis.filter((jti) => !found.has(jti))).toEqual([])
    }
    // Both writers really interleaved in the one chain.
    const firstWriter = new Set(writers[0]!.jtis)
    const switches = receipts.filter(
      (receipt, index) =>
        index > 0 &&
        firstWriter.has(receipt.claims.jti) !== firstWriter.has(receipts[index - 1]!.claims.jti),
    ).length
    expect(switches).toBeGreaterThan(0)
    expect(await verifyChain(tokens, keySet)).toMatchObject({
      valid: true,
      chainId: 'shared',
      size: 2 * perWriter,
    })
  }, 120_000)

  it('two processes sharing a limit never exceed it together', async () => {
    const path = directory.file()
    const writers = [
      startWriter({ path, chainId: 'limited', mode: 'group', count: 60, key, limited: true }),
      startWriter({ path, chainId: 'limited', mode: 'plain', count: 60, key, limited: true }),
    ]
    const exits = await Promise.all(writers.map((writer) => writer.exited))
    for (const exit of exits) expect(exit).toMatchObject({ code: 0 })
    expect(writers[0]!.jtis.length + writers[1]!.jtis.length).toBe(50)
    const { receipts, tokens } = await readChain(path, 'limited')
    expect(receipts).toHaveLength(120)
    expect(receipts.filter((receipt) => receipt.claims.decision === 'PERMIT')).toHaveLength(50)
    expect(receipts.filter((receipt) => receipt.claims.reason === 'LIMIT_EXCEEDED')).toHaveLength(
      70,
    )
    expect(await verifyChain(tokens, keySet)).toMatchObject({ valid: true, size: 120 })
  }, 120_000)
})
