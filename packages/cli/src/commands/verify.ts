/**
 * `writ verify --keys JWKS TOKEN|FILE`: is this receipt authentic? Authenticity only
 * (spec section 8): an expired receipt or a DENY still verifies, and authorizes nothing.
 */
import { verifyCheckpoint, verifyReceipt, WritError } from '@writ/verify'
import { booleanFlag, type Command, jsonLine, positional, requiredFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readTokenArgument } from '../files.js'
import { loadKeySetFile } from '../keys.js'
import { describeReceipt } from '../receipt-summary.js'

/** The `typ` a token's header claims, read without trusting it, to pick the verifier. */
function tokenType(token: string): unknown {
  try {
    const header = JSON.parse(
      Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
    ) as { typ?: unknown }
    return header.typ
  } catch {
    return undefined
  }
}

/** `writ verify`. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: "check a receipt's signature against trusted public keys",
  positionals: { min: 1, max: 1, names: 'TOKEN|FILE' },
  options: { keys: { type: 'string' }, json: { type: 'boolean' } },
  help: `Usage: writ verify --keys JWKS TOKEN|FILE [--json]

Verifies a receipt (or a checkpoint) strictly: structure, header, a trusted key valid at the
receipt's iat, the Ed25519 signature, the claims. Authenticity only: it does not
fail on exp or on a DENY or SILENCE decision (a verified DENY is evidence of a
refusal and authorizes nothing). To decide whether an action may run, a service
uses verifyPermit from @writ/verify.

  --keys JWKS  the trusted public JWK Set, e.g. from \`writ keys export\` (required)
  TOKEN|FILE   the receipt or checkpoint, or a file holding it
  --json       print { valid, code?, message?, claims? }

Exit codes: 0 valid, 1 invalid (the code says why: MALFORMED, HEADER_INVALID,
KEY_UNKNOWN, KEY_WEAK, KEY_REVOKED, KEY_NOT_VALID_AT_TIME, SIGNATURE_INVALID,
CLAIMS_INVALID), 2 usage error, 3 unreadable file or invalid key set.`,
  async run(input, io) {
    const keySet = loadKeySetFile(io, requiredFlag(input, 'keys'))
    const token = readTokenArgument(io, positional(input, 0))
    const json = booleanFlag(input, 'json')
    try {
      if (tokenType(token) === 'writ-checkpoint+jwt') {
        const checkpoint = await verifyCheckpoint(token, keySet)
        if (json) io.stdout(jsonLine({ valid: true, claims: checkpoint.claims }))
        else {
          const { chain, size, head, iss, iat } = checkpoint.claims
          io.stdout(`VALID checkpoint: signed by ${checkpoint.header.kid}\n`)
          io.stdout(`chain ${chain}  size ${size}  head ${head ?? '(empty)'}\n`)
          io.stdout(`issued ${new Date(iat * 1000).toISOString()} by ${iss}\n`)
        }
        return EXIT_CODES.ok
      }
      const verified = await verifyReceipt(token, keySet)
      if (json) io.stdout(jsonLine({ valid: true, claims: verified.claims }))
      else {
        io.stdout(`VALID: signed by ${verified.header.kid} (authenticity only; exp not checked)\n`)
        io.stdout(describeReceipt(verified.claims))
      }
      return EXIT_CODES.ok
    } catch (error) {
      if (!WritError.isInstance(error) || error.code === 'KEYSET_INVALID') throw error
      if (json) io.stdout(jsonLine({ valid: false, code: error.code, message: error.message }))
      else io.stdout(`INVALID: ${error.code}: ${error.message}\n`)
      io.stderr(`writ: ${error.code}: ${error.message}\n`)
      return EXIT_CODES.failed
    }
  },
}
