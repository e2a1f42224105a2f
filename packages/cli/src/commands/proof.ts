/**
 * `writ proof inclusion` and `writ proof consistency`: RFC 9162 proofs from a store's tree
 * (spec section 12), as JSON with base64 hashes, to hand to anyone holding a checkpoint.
 */
import { chainTree, type Store } from '@writ/core'
import { base64Encode, leafHash, parseCheckpointText, parseNote } from '@writ/verify'
import { usageError } from '../cli-error.js'
import { type Command, jsonLine, type ParsedInput, stringFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { openExistingStore, requireStoreLocation, STORE_FLAGS } from '../store.js'
import { DEFAULT_CHAIN } from './decide.js'

/** A size or position flag: a non-negative integer, or `undefined` when absent. */
export function sizeFlag(input: ParsedInput, name: string): number | undefined {
  const value = stringFlag(input, name)
  if (value === undefined) return undefined
  if (!/^(?:0|[1-9][0-9]{0,15})$/.test(value)) {
    throw usageError(`--${name} must be a non-negative integer`)
  }
  return Number(value)
}

/** The size of the newest checkpoint note of a chain, else the chain's length. */
export async function checkpointSize(store: Store, chainId: string): Promise<number> {
  const note = await store.latestCheckpointNote(chainId)
  if (note === undefined) return (await store.head(chainId)).seq
  return parseCheckpointText(parseNote(note.note).text).size
}

// Proofs always print JSON; --json is accepted so every store command takes it.
const FLAGS = { ...STORE_FLAGS, chain: { type: 'string' }, json: { type: 'boolean' } } as const

/** `writ proof inclusion`. */
export const proofInclusionCommand: Command = {
  name: 'proof inclusion',
  summary: 'prove that one receipt is in a chain’s Merkle tree (RFC 9162)',
  positionals: { min: 0, max: 0, names: '' },
  options: { ...FLAGS, seq: { type: 'string' }, size: { type: 'string' } },
  help: `Usage: writ proof inclusion (--store DB | --store-url-file FILE) --seq N [--size S]
                             [--chain ID] [--json]

  --store DB     the store: a SQLite file, or a postgres:// URL without a password
  --store-url-file FILE
                 a file (mode 0600) holding the PostgreSQL URL, password included
  --chain ID     the chain (default main)
  --seq N        the receipt's position
  --size S       the tree size to prove it in
  --json         accepted; the output is always one JSON line

Prints, as one JSON line, the inclusion proof of the receipt with seq N in the tree
of the chain's first S receipts: { chain, seq, size, leafHash, root, proof }, hashes
in base64. S defaults to the size of the newest checkpoint note (writ checkpoint
--note), else the chain's length. Check it against a checkpoint of size S.

Exit codes: 0 printed, 1 no such position (PROOF_INVALID), 2 usage error, 3 store error.`,
  async run(input, io) {
    const seq = sizeFlag(input, 'seq')
    if (seq === undefined) throw usageError('--seq is required')
    const chainId = stringFlag(input, 'chain') ?? DEFAULT_CHAIN
    const opened = await openExistingStore(io, requireStoreLocation(input, io))
    try {
      const { store } = opened
      const size = sizeFlag(input, 'size') ?? (await checkpointSize(store, chainId))
      const tree = chainTree(store, chainId)
      const proof = await tree.inclusionProof(seq, size)
      let token = ''
      for await (const receipt of store.receipts(chainId, { fromSeq: seq, limit: 1 })) {
        token = receipt.token
      }
      io.stdout(
        jsonLine({
          chain: chainId,
          seq,
          size,
          leafHash: base64Encode(leafHash(token)),
          root: base64Encode(await tree.root(size)),
          proof: proof.map(base64Encode),
        }),
      )
      return EXIT_CODES.ok
    } finally {
      await opened.close()
    }
  },
}

/** `writ proof consistency`. */
export const proofConsistencyCommand: Command = {
  name: 'proof consistency',
  summary: 'prove that a chain only grew between two sizes (RFC 9162)',
  positionals: { min: 0, max: 0, names: '' },
  options: { ...FLAGS, from: { type: 'string' }, to: { type: 'string' } },
  help: `Usage: writ proof consistency (--store DB | --store-url-file FILE) --from A [--to B]
                               [--chain ID] [--json]

  --store DB     the store: a SQLite file, or a postgres:// URL without a password
  --store-url-file FILE
                 a file (mode 0600) holding the PostgreSQL URL, password included
  --chain ID     the chain (default main)
  --from A       the older tree size
  --to B         the newer tree size
  --json         accepted; the output is always one JSON line

Prints, as one JSON line, the consistency proof from the tree of the first A
receipts to the tree of the first B: { chain, from, to, fromRoot, toRoot, proof },
hashes in base64. B defaults to the size of the newest checkpoint note, else the
chain's length. With two checkpoints of sizes A and B it shows that the second
extends the first.

Exit codes: 0 printed, 1 impossible sizes (PROOF_INVALID), 2 usage error, 3 store error.`,
  async run(input, io) {
    const from = sizeFlag(input, 'from')
    if (from === undefined) throw usageError('--from is required')
    const chainId = stringFlag(input, 'chain') ?? DEFAULT_CHAIN
    const opened = await openExistingStore(io, requireStoreLocation(input, io))
    try {
      const { store } = opened
      const to = sizeFlag(input, 'to') ?? (await checkpointSize(store, chainId))
      const tree = chainTree(store, chainId)
      const proof = await tree.consistencyProof(from, to)
      io.stdout(
        jsonLine({
          chain: chainId,
          from,
          to,
          fromRoot: base64Encode(await tree.root(from)),
          toRoot: base64Encode(await tree.root(to)),
          proof: proof.map(base64Encode),
        }),
      )
      return EXIT_CODES.ok
    } finally {
      await opened.close()
    }
  },
}
