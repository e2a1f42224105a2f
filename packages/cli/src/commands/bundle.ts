/**
 * `writ bundle export` and `writ bundle verify`: the audit bundle (spec section 12), one
 * file an auditor checks offline with nothing but a trust file.
 */
import { writeFileSync } from 'node:fs'
import { compilePolicy, exportAuditBundle } from '@writ/core'
import { verifyBundle } from '@writ/verify'
import { usageError } from '../cli-error.js'
import {
  booleanFlag,
  type Command,
  jsonLine,
  positional,
  requiredFlag,
  stringFlag,
  stringFlags,
} from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readTextFile, resolvePath } from '../files.js'
import { openExistingStore, requireStoreLocation, STORE_FLAGS } from '../store.js'
import { DEFAULT_CHAIN } from './decide.js'
import { sizeFlag } from './proof.js'

/** `writ bundle export`. */
export const bundleExportCommand: Command = {
  name: 'bundle export',
  summary: 'write an audit bundle: receipts, policies, keys, checkpoint, cosignatures, proofs',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...STORE_FLAGS,
    chain: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    keys: { type: 'string' },
    policy: { type: 'string', multiple: true },
    'consistency-from': { type: 'string', multiple: true },
    out: { type: 'string' },
  },
  help: `Usage: writ bundle export (--store DB | --store-url-file FILE) --keys KEYSET.json
                         --policy FILE [--policy FILE…] --out FILE
                         [--chain ID] [--from SEQ] [--to SEQ] [--consistency-from SIZE…]

  --store DB     the store: a SQLite file, or a postgres:// URL without a password
  --store-url-file FILE
                 a file (mode 0600) holding the PostgreSQL URL, password included
  --chain ID     the chain (default main)
  --keys KEYSET.json
                 the authority's public key set (writ keys export)
  --policy FILE  a policy document the receipts name; repeatable
  --out FILE     where to write the bundle (JSON)

Writes one JSON file with the receipts from seq --from (default 0) up to, not
including, --to (default: the size of the newest checkpoint note), the approvals
and policy documents they name, the key set, that checkpoint note with its
witnesses' cosignatures, and an inclusion proof per receipt when the range is
not the whole tree. --consistency-from adds consistency proofs from checkpoint
sizes an auditor kept. Every policy a receipt names must be given (--policy).

Exit codes: 0 written, 1 range outside the checkpoint (PROOF_INVALID) or a
policy missing (BUNDLE_INVALID), 2 usage error, 3 store or file error.`,
  async run(input, io) {
    const out = requiredFlag(input, 'out')
    const keys = JSON.parse(readTextFile(io, requiredFlag(input, 'keys'), 'key set'))
    const policies = stringFlags(input, 'policy').map((file) =>
      compilePolicy(readTextFile(io, file, 'policy'), { source: file }),
    )
    if (policies.length === 0) throw usageError('give the policy documents with --policy')
    const chainId = stringFlag(input, 'chain') ?? DEFAULT_CHAIN
    const from = sizeFlag(input, 'from')
    const to = sizeFlag(input, 'to')
    const consistencyFrom = stringFlags(input, 'consistency-from').map(Number)
    const opened = await openExistingStore(io, requireStoreLocation(input, io))
    try {
      const bundle = await exportAuditBundle({
        store: opened.store,
        chainId,
        keys,
        policies,
        ...(from === undefined ? {} : { from }),
        ...(to === undefined ? {} : { to }),
        ...(consistencyFrom.length === 0 ? {} : { consistencyFrom }),
      })
      writeFileSync(resolvePath(io, out), `${JSON.stringify(bundle)}\n`, { mode: 0o644 })
      io.stderr(
        `bundle of chain ${chainId}: ${bundle.receipts.length} receipts from seq ${bundle.from}${
          bundle.checkpoint === undefined ? ', no checkpoint note yet (writ checkpoint --note)' : ''
        }\n`,
      )
      return EXIT_CODES.ok
    } finally {
      await opened.close()
    }
  },
}

/** `writ bundle verify`. */
export const bundleVerifyCommand: Command = {
  name: 'bundle verify',
  summary: 'verify an audit bundle offline against a trust file and print the assurance',
  positionals: { min: 1, max: 1, names: 'FILE' },
  options: { trust: { type: 'string' }, json: { type: 'boolean' } },
  help: `Usage: writ bundle verify FILE --trust TRUST.json [--json]

  --trust TRUST.json
                 what you trust (below)
  --json         print the whole report as one JSON line

Checks an audit bundle with nothing but the bundle and the trust file
{ "keys": <the authority's JWK Set>, "logs": [log vkeys], "witnesses": [witness
vkeys], "quorum": n, "checkpoints": [checkpoint notes you kept] } and prints the
assurance reached: signed (every receipt and link verifies), checkpointed (a
trusted checkpoint holds them and extends every checkpoint you kept), witnessed
(the quorum of witnesses cosigned it), then the first problem by code.

Exit codes: 0 no problem, 1 a problem (its code is printed), 2 usage error,
3 unreadable file.`,
  async run(input, io) {
    const bundle = readTextFile(io, positional(input, 0), 'bundle')
    const trust = readTextFile(io, requiredFlag(input, 'trust'), 'trust file')
    const report = await verifyBundle(bundle, trust)
    if (booleanFlag(input, 'json')) io.stdout(jsonLine(report))
    else {
      io.stdout(`${report.assurance}\n`)
      const where = report.problem?.seq === undefined ? '' : ` at seq ${report.problem.seq}`
      if (report.problem !== undefined) {
        io.stderr(`writ: ${report.problem.code}${where}: ${report.problem.message}\n`)
      }
    }
    return report.problem === undefined ? EXIT_CODES.ok : EXIT_CODES.failed
  },
}
