/**
 * `writ decide`: decide one action under a policy, sign the decision, print the receipt.
 */
import { createGate, MAX_TTL_SECONDS, type Store } from '@writ/core'
import { usageError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, requiredFlag, stringFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { openCommandKeys } from '../external-keys.js'
import { loadPolicy, requestFlags } from '../inputs.js'
import { describeReceipt } from '../receipt-summary.js'
import { openStore, STORE_CHAIN_FLAGS, storeLocation } from '../store.js'

/** Issuer written into receipts when `--issuer` is not given. */
export const DEFAULT_ISSUER = 'writ-cli'
/** Chain used in a store when `--chain` is not given. */
export const DEFAULT_CHAIN = 'main'

function ttlFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const seconds = /^[1-9][0-9]{0,2}$/.test(value) ? Number(value) : 0
  if (seconds < 1 || seconds > MAX_TTL_SECONDS)
    throw usageError(`--ttl must be 1 to ${MAX_TTL_SECONDS} seconds`)
  return seconds
}

/** `writ decide`. */
export const decideCommand: Command = {
  name: 'decide',
  summary: 'decide an action under a policy and print its signed receipt',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    policy: { type: 'string' },
    key: { type: 'string' },
    signer: { type: 'string' },
    action: { type: 'string' },
    args: { type: 'string' },
    agent: { type: 'string' },
    request: { type: 'string' },
    context: { type: 'string' },
    audience: { type: 'string' },
    ...STORE_CHAIN_FLAGS,
    issuer: { type: 'string' },
    ttl: { type: 'string' },
  },
  help: `Usage: writ decide --policy FILE (--key KEYFILE | --signer URI) --action NAME --args JSON|@FILE
                   [--agent ID] [--request ID] [--context JSON|@FILE] [--audience AUD]
                   [(--store DB | --store-url-file FILE) [--chain ID]]
                   [--issuer ISS] [--ttl SECONDS] [--json]

Decides the action under the policy (PERMIT, DENY or SILENCE), signs the decision
and prints the receipt token on stdout (a summary goes to stderr). Invalid
arguments are not a usage error: they are decided DENY with reason INPUT_INVALID,
and that refusal gets a receipt too.

  --policy FILE       policy document, YAML or JSON (required)
  --key KEYFILE       private signing key or key ring (mode 0600), or a ring of
                      public keys whose active key names its token ("signer")
  --signer URI        the active key in a PKCS#11 token (RFC 7512 URI, PIN from
                      its pin-source or WRIT_PKCS11_PIN), as writ serve takes it
  --action NAME       action name, e.g. payments.transfer (required)
  --args JSON|@FILE   the arguments as JSON text, or @file holding it (required)
  --agent ID          the agent (receipt sub)
  --request ID        correlation id (receipt req); a fresh one when absent
  --context JSON|@FILE  extra facts for conditions, a JSON object
  --audience AUD      the service the permit is meant for (receipt aud)
  --store DB          append to this store: a SQLite file (created when missing)
                      or a postgres:// URL without a password; without a store
                      the receipt is on an in-memory chain at seq 0, not kept
  --store-url-file FILE  a file (mode 0600) holding a PostgreSQL URL with its
                      password (a password in --store is refused)
  --chain ID          chain id in the store (default ${DEFAULT_CHAIN})
  --issuer ISS        receipt iss (default ${DEFAULT_ISSUER})
  --ttl SECONDS       validity of a PERMIT, 1 to 300 (default 300)
  --json              print { decision, reason, rule, receipt, claims, problem? }

Exit codes: 0 a receipt was issued (whatever the decision), 1 invalid policy,
2 usage error, 3 unreadable file, bad key or store, 4 no receipt could be issued.`,
  async run(input, io) {
    const policy = loadPolicy(io, requiredFlag(input, 'policy'))
    const request = requestFlags(io, input)
    const requestId = stringFlag(input, 'request')
    const audience = stringFlag(input, 'audience')
    const location = storeLocation(input, io, { environment: false })
    const chainId = stringFlag(input, 'chain')
    if (chainId !== undefined && location === undefined) throw usageError('--chain needs --store')
    const ttlSeconds = ttlFlag(stringFlag(input, 'ttl'))
    const keys = await openCommandKeys(io, input)
    let store: Store | undefined
    try {
      store = location === undefined ? undefined : await openStore(location)
      const gate = createGate({
        policy,
        keys: keys.ring,
        issuer: stringFlag(input, 'issuer') ?? DEFAULT_ISSUER,
        ...(store === undefined ? {} : { store, chainId: chainId ?? DEFAULT_CHAIN }),
        ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      })
      const decision = await gate.authorize({
        ...request,
        ...(requestId === undefined ? {} : { request: requestId }),
        ...(audience === undefined ? {} : { audience }),
      })
      if (store === undefined) {
        io.stderr(
          'writ: note: no --store given: this receipt is on an in-memory chain starting at seq 0, and nothing is kept\n',
        )
      }
      if (booleanFlag(input, 'json')) {
        io.stdout(
          jsonLine({
            decision: decision.decision,
            reason: decision.reason,
            rule: decision.rule,
            receipt: decision.receipt,
            claims: decision.claims,
            ...(decision.decision !== 'PERMIT' && decision.problem !== undefined
              ? { problem: decision.problem }
              : {}),
          }),
        )
      } else {
        io.stdout(`${decision.receipt}\n`)
        io.stderr(describeReceipt(decision.claims))
        if (decision.decision !== 'PERMIT' && decision.problem !== undefined) {
          io.stderr(`problem   ${decision.problem.code}: ${decision.problem.message}\n`)
        }
      }
      return EXIT_CODES.ok
    } finally {
      await store?.close()
      await keys.close()
    }
  },
}
