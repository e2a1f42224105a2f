import { chainTree, compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { leafHash, verifyInclusion } from '@writ/verify'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'
import { temporaryDirectory } from './helpers.js'

const POLICY =
  'writ: 1\nid: tree-migration\nrules:\n  - id: all\n    effect: permit\n    actions: ["*"]\n'

describe('sqlite: trees for files written before trees existed', () => {
  it('builds the tree of every chain when it opens a file of schema version 1', async () => {
    const directory = temporaryDirectory()
    const path = directory.file()
    try {
      const store = createSqliteStore({ path })
      const gate = createGate({
        policy: compilePolicy(POLICY, { source: 'test' }),
        keys: generateSigningKey(),
        issuer: 'https://authority.example',
        store,
      })
      for (let index = 0; index < 21; index++)
        await gate.authorize({ action: 'a.b', args: { index } })
      await store.close()

      // Make the file what version 1 wrote: no trees, no notes.
      const raw = new Database(path)
      raw.exec('DROP TABLE tree_nodes; DROP TABLE checkpoint_notes; PRAGMA user_version = 1;')
      raw.close()

      const reopened = createSqliteStore({ path })
      const [chainId] = await reopened.chains()
      const tokens: string[] = []
      for await (const receipt of reopened.receipts(chainId!)) tokens.push(receipt.token)
      expect(tokens).toHaveLength(21)
      const tree = chainTree(reopened, chainId!)
      const root = await tree.root(21)
      for (let seq = 0; seq < 21; seq++) {
        const proof = await tree.inclusionProof(seq, 21)
        verifyInclusion({ leaf: leafHash(tokens[seq]!), index: seq, size: 21, proof, root })
      }
      await reopened.close()
    } finally {
      directory.remove()
    }
  })
})
