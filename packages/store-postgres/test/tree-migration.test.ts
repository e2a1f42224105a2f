// A schema written before trees existed gets the tree of every chain when it migrates.
import { chainTree, compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { leafHash, verifyInclusion } from '@writ/verify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { createPostgresStore } from '../src/index.js'

let cluster: PgCluster | undefined
let url = process.env['WRIT_PG_URL'] ?? ''
beforeAll(async () => {
  if (!url) {
    cluster = await startPgCluster()
    url = cluster.url
  }
})
afterAll(() => cluster?.destroy())

const POLICY =
  'writ: 1\nid: tree-migration\nrules:\n  - id: all\n    effect: permit\n    actions: ["*"]\n'

describe('postgres: trees for schemas written before trees existed', () => {
  it('builds the tree of every chain when it migrates a schema of version 1', async () => {
    const schema = `t_tree_${process.pid}_${Date.now().toString(36)}`
    const store = await createPostgresStore({ connectionString: url, schema })
    const gate = createGate({
      policy: compilePolicy(POLICY, { source: 'test' }),
      keys: generateSigningKey(),
      issuer: 'https://authority.example',
      store,
      chainId: 'main',
    })
    for (let index = 0; index < 13; index++)
      await gate.authorize({ action: 'a.b', args: { index } })
    await store.close()

    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`DROP TABLE ${schema}.tree_nodes; DROP TABLE ${schema}.checkpoint_notes`)
    await client.query(`UPDATE ${schema}.meta SET version = 1`)
    await client.end()

    const reopened = await createPostgresStore({ connectionString: url, schema })
    try {
      const tokens: string[] = []
      for await (const receipt of reopened.receipts('main')) tokens.push(receipt.token)
      expect(tokens).toHaveLength(13)
      const tree = chainTree(reopened, 'main')
      const root = await tree.root(13)
      for (let seq = 0; seq < 13; seq++) {
        const proof = await tree.inclusionProof(seq, 13)
        verifyInclusion({ leaf: leafHash(tokens[seq]!), index: seq, size: 13, proof, root })
      }
    } finally {
      await reopened.close()
    }
  })
})
