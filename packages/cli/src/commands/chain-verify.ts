/**
 * `writ chain verify --store DB`: verifies every chain in a store (SQLite or
 * PostgreSQL), receipt by receipt and link by link, against trusted keys and
 * checkpoints kept elsewhere.
 */
import { type ApproverDirectory, approvalSources, parseApprovers } from '@writ/core'
import { createKeySet, type KeySet, verifyChain } from '@writ/verify'
import { usageError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, stringFlag, stringFlags } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readTextFile, readTokenArgument, resolvePath } from '../files.js'
import type { CliIo } from '../io.js'
import { loadKeySetFile } from '../keys.js'
import {
  chainTokens,
  type ExistingStore,
  openExistingStore,
  requireStoreLocation,
  STORE_CHAIN_FLAGS,
} from '../store.js'

/** The outcome for one chain, as `--json` prints it. */
export interface ChainReport {
  readonly chain: string
  readonly valid: boolean
  readonly size?: number
  readonly head?: string | null
  readonly code?: string
  /** First bad position; `null` when a checkpoint is bad by itself. */
  readonly seq?: number | null
  readonly message?: string
  /** How many checkpoints the chain was checked against (given and stored). */
  readonly checkpoints: number
}

/** The chain id a checkpoint claims, read without verifying (verifyChain verifies it). */
function checkpointChain(token: string): string | undefined {
  const claims = token.split('.')[1]
  if (claims === undefined) return undefined
  try {
    const chain = (
      JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { chain?: unknown }
    ).chain
    return typeof chain === 'string' ? chain : undefined
  } catch {
    return undefined
  }
}

function position(report: ChainReport): string {
  return report.seq === null || report.seq === undefined ? 'checkpoint' : `at seq ${report.seq}`
}

/** `writ chain verify`. */
export const chainVerifyCommand: Command = {
  name: 'chain verify',
  summary: 'verify every receipt chain in a store (gaps, edits, reorders, truncation)',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...STORE_CHAIN_FLAGS,
    keys: { type: 'string' },
    checkpoint: { type: 'string', multiple: true },
    approvers: { type: 'string' },
  },
  help: `Usage: writ chain verify (--store DB | --store-url-file FILE | WRIT_STORE_URL)
                         [--keys JWKS] [--checkpoint CP_FILE_OR_TOKEN...]
                         [--approvers FILE] [--chain ID] [--json]

Verifies every chain in the store: each receipt's signature, seq contiguous from
0, each prev the digest of the receipt before, and each checkpoint (the ones given,
plus the latest one the store kept) against the chain's size and head. Reports
the first bad position and its code: CHAIN_GAP (deleted receipt),
CHAIN_PREV_MISMATCH (inserted or reordered), SIGNATURE_INVALID (edited),
CHECKPOINT_MISMATCH / CHECKPOINT_ROLLBACK (truncated or rewritten history),
CHAIN_ROW_MISMATCH (a row's stored columns, such as decision, req or the decoded
claims, were edited and no longer say what its signed token says).

  --store DB        the store: a SQLite file, or a postgres:// URL without a
                    password (must exist; required unless the URL comes from
                    --store-url-file or the environment)
  --store-url-file FILE
                    a file (mode 0600) holding the PostgreSQL URL, password
                    included; or set WRIT_STORE_URL (or WRIT_STORE_URL_FILE). A
                    password in --store is refused (SECRET_ON_COMMAND_LINE)
  --keys JWKS       trusted public JWK Set. Without it, the public keys the store
                    records are used if it records any, and the report says loudly
                    that this proves nothing on its own
  --checkpoint CP   a checkpoint (token or file) kept outside the store; repeatable
  --approvers FILE  the approvers the authority trusts (its --approvers file, or
                    what it publishes at /.well-known/writ/approvers.json). Every
                    PERMIT that names approvals is checked against the approvals
                    the store keeps: present, signed by the approver's own key,
                    for exactly that call, distinct approvers of the hold's group,
                    none the agent, quorum met, within the hold's lifetime
                    (APPROVAL_MISSING, APPROVAL_MISMATCH, APPROVER_UNKNOWN,
                    APPROVER_IS_AGENT, APPROVAL_QUORUM_UNMET, APPROVAL_EXPIRED).
                    Without it, a chain with such PERMITs fails with
                    APPROVALS_UNCHECKED
  --chain ID        verify only this chain
  --json            print { valid, keysFrom, chains: [{ chain, valid, size?, head?,
                    code?, seq?, message?, checkpoints }] }

PostgreSQL rows are checked the same way (every column beside the token), and
chains that have receipts but lost their head row are verified too.

Exit codes: 0 every chain valid, 1 a chain failed, 2 usage error
(SECRET_ON_COMMAND_LINE), 3 missing or unreachable store, unreadable keys or
checkpoint file.`,
  async run(input, io) {
    const location = requireStoreLocation(input, io)
    const keysPath = stringFlag(input, 'keys')
    const given = stringFlags(input, 'checkpoint').map((value) => readTokenArgument(io, value))
    const trusted = keysPath === undefined ? undefined : loadKeySetFile(io, keysPath)
    const approversPath = stringFlag(input, 'approvers')
    const approvers =
      approversPath === undefined
        ? undefined
        : parseApprovers(readTextFile(io, resolvePath(io, approversPath), 'approvers file'))
    const opened = await openExistingStore(io, location)
    try {
      const keySet = trusted ?? (await recordedKeySet(opened, io))
      const reports: ChainReport[] = []
      for (const chainId of await chainsToVerify(opened, given, stringFlag(input, 'chain')))
        reports.push(await verifyStoredChain(opened, chainId, given, keySet, approvers))
      printReports(
        reports,
        { json: booleanFlag(input, 'json'), keysFrom: trusted ? 'keys' : 'store' },
        io,
      )
      return reports.every((report) => report.valid) ? EXIT_CODES.ok : EXIT_CODES.failed
    } finally {
      await opened.close()
    }
  },
}

/** The keys the store records, with a loud warning; a usage error when it records none. */
async function recordedKeySet(opened: ExistingStore, io: CliIo): Promise<KeySet> {
  const recorded = opened.recordedKeys
  if (recorded === undefined)
    throw usageError('--keys JWKS is required: this store does not record the public keys it used')
  const keySet = createKeySet(await recorded())
  io.stderr(
    'writ: WARNING: no --keys given: verifying with the public keys recorded IN THE STORE ITSELF.\n' +
      'writ: WARNING: whoever can rewrite the store can rewrite those keys: this proves nothing on its own.\n' +
      'writ: WARNING: pass --keys with a key set obtained from the authority through another channel.\n',
  )
  return keySet
}

/** The store's chains and those the given checkpoints name, sorted; or only `only`. */
async function chainsToVerify(
  opened: ExistingStore,
  given: readonly string[],
  only: string | undefined,
): Promise<string[]> {
  const chains = new Set(await opened.chains())
  for (const token of given) {
    const chain = checkpointChain(token)
    if (chain !== undefined) chains.add(chain)
  }
  const selected = [...chains].filter((chain) => only === undefined || chain === only).sort()
  if (only !== undefined && selected.length === 0) selected.push(only)
  return selected
}

/** Verifies one chain against the given checkpoints and the latest one the store kept, then its rows. */
async function verifyStoredChain(
  opened: ExistingStore,
  chainId: string,
  given: readonly string[],
  keySet: KeySet,
  approvers: ApproverDirectory | undefined,
): Promise<ChainReport> {
  // A checkpoint whose chain cannot be read is checked against every chain: it then fails loudly.
  const checkpoints = given.filter((token) => {
    const chain = checkpointChain(token)
    return chain === undefined || chain === chainId
  })
  const stored = await opened.store.latestCheckpoint(chainId)
  if (stored !== undefined && !checkpoints.includes(stored.token)) checkpoints.push(stored.token)
  const result = await verifyChain(chainTokens(opened.store, chainId), keySet, {
    checkpoints,
    chainId,
    ...(approvers === undefined ? {} : { approvals: approvalSources(opened.store, approvers) }),
  })
  const count = checkpoints.length
  if (result.valid && (result.unbackedApprovals ?? 0) > 0) {
    const message = `${result.unbackedApprovals} PERMIT(s) name approvals that were not checked: pass --approvers FILE`
    return {
      chain: chainId,
      valid: false,
      code: 'APPROVALS_UNCHECKED',
      seq: null,
      message,
      checkpoints: count,
    }
  }
  if (!result.valid) {
    const { code, seq, message } = result
    return { chain: chainId, valid: false, code, seq, message, checkpoints: count }
  }
  // The signatures hold; now the columns kept beside each token must say the same.
  const mismatch = await opened.rowMismatch(chainId)
  if (mismatch === undefined)
    return { chain: chainId, valid: true, size: result.size, head: result.head, checkpoints: count }
  return {
    chain: chainId,
    valid: false,
    code: 'CHAIN_ROW_MISMATCH',
    seq: mismatch.seq,
    message: `the stored ${mismatch.columns.join(', ')} of this row disagree with its signed token`,
    checkpoints: count,
  }
}

function printReports(
  reports: readonly ChainReport[],
  options: { readonly json: boolean; readonly keysFrom: 'keys' | 'store' },
  io: CliIo,
): void {
  const valid = reports.every((report) => report.valid)
  if (options.json) io.stdout(jsonLine({ valid, keysFrom: options.keysFrom, chains: reports }))
  else {
    if (reports.length === 0) io.stdout('no chains in the store\n')
    for (const report of reports) {
      const against =
        report.checkpoints === 0 ? 'no checkpoint' : `${report.checkpoints} checkpoint(s)`
      io.stdout(
        report.valid
          ? `OK      chain ${report.chain}: ${report.size} receipt(s), head ${report.head ?? '(empty)'}, against ${against}\n`
          : `FAILED  chain ${report.chain}: ${position(report)}: ${report.code}: ${report.message}\n`,
      )
    }
  }
  for (const report of reports) {
    if (!report.valid)
      io.stderr(
        `writ: ${report.code}: chain ${report.chain} ${position(report)}: ${report.message}\n`,
      )
  }
}
