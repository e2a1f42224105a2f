/**
 * `writ keys rotate` and `writ keys revoke`: change a key file in place, keeping
 * old keys published so that their receipts keep verifying (or, once revoked, stop).
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { isAsyncSigner, type KeyRing, type RotateOptions } from '@writ/core'
import { CliError, usageError } from '../cli-error.js'
import { type Command, jsonLine, type ParsedInput, requiredFlag, stringFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { loadExternalKeys, loadSignerPackage, openCommandKeys } from '../external-keys.js'
import { resolvePath } from '../files.js'
import type { CliIo } from '../io.js'
import { loadSigningKeys } from '../keys.js'

/** Default of `--grace`: how long a retired key may still sign, for authorities to reload. */
const DEFAULT_GRACE_SECONDS = 300

/** Replaces the key file atomically: a crash leaves the old file or the new one, never half. */
function writeRing(path: string, ring: KeyRing): void {
  const temporary = join(dirname(path), `.${process.pid}.${Date.now()}.writ-key.tmp`)
  try {
    writeFileSync(temporary, `${JSON.stringify(ring.toJSON(), null, 2)}\n`, {
      mode: 0o600,
      flag: 'wx',
    })
    renameSync(temporary, path)
  } catch (cause) {
    rmSync(temporary, { force: true })
    throw new CliError(
      'IO_ERROR',
      `cannot write ${path} (${(cause as NodeJS.ErrnoException).code ?? 'unwritable'})`,
      { cause },
    )
  }
}

/** `writ keys rotate`. */
export const keysRotateCommand: Command = {
  name: 'keys rotate',
  summary: 'make a new active signing key; the old one stays published as retired',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    key: { type: 'string' },
    grace: { type: 'string' },
    json: { type: 'boolean' },
    signer: { type: 'string' },
    'previous-signer': { type: 'string' },
    existing: { type: 'boolean' },
  },
  help: `Usage: writ keys rotate --key KEYFILE [--grace 300] [--json]
       writ keys rotate --key KEYFILE --signer URI [--existing] [--previous-signer URI]

  --key KEYFILE  the private key or key ring to rotate, rewritten in place
                 (mode 0600; required)
  --grace S      seconds the retired key may still sign (default 300)
  --json         print { active, retired, retiredExp }
  --signer URI   rotate to a key in a PKCS#11 token (RFC 7512 URI, PIN from
                 pin-source): a new Ed25519 key pair labelled by the URI's object
                 is generated in the token (sensitive, not extractable), or the
                 one already there with --existing. KEYFILE then lists public keys
                 only for the token's keys, each with the URI it lives at
  --previous-signer URI
                 the token key that signs now, when KEYFILE does not exist yet

Generates a new active key in KEYFILE (a key file becomes a key ring), valid from
now ("nbf"). The previous active key is retired: it stays in the published key
set with "status": "retired" and "exp" set to now + --grace seconds, and its
receipts keep verifying.

--grace is the time every running authority has to pick up the new ring (default
300 seconds). \`writ serve\` watches its key file and loads the new ring within
moments (or on SIGHUP); until then it signs with the old key, which is valid for
the grace period. An authority still on the old ring after the grace refuses to
sign (503 KEY_INVALID, /readyz 503): it never issues a receipt that would not
verify. Publish the new set with \`writ keys export\`.

Exit codes: 0 rotated, 2 usage error, 3 unreadable or unwritable key file.`,
  async run(input, io) {
    const path = resolvePath(io, requiredFlag(input, 'key'))
    const graceText = stringFlag(input, 'grace') ?? String(DEFAULT_GRACE_SECONDS)
    if (!/^[0-9]{1,7}$/.test(graceText))
      throw usageError('--grace must be a whole number of seconds')
    const signerUri = stringFlag(input, 'signer')
    const { ring, previous } =
      signerUri === undefined
        ? rotated(loadSigningKeys(io, path), { graceSeconds: Number(graceText) })
        : await rotateIntoToken(input, io, path, signerUri, Number(graceText))
    writeRing(path, ring)
    if (input.values['json'] === true)
      io.stdout(
        jsonLine({
          active: ring.active.kid,
          retired: previous,
          retiredExp: ring.jwks().keys.find((key) => key.kid === previous)?.exp,
        }),
      )
    else io.stdout(`${ring.active.kid}\n`)
    return EXIT_CODES.ok
  },
}

/** `writ keys revoke`. */
export const keysRevokeCommand: Command = {
  name: 'keys revoke',
  summary: 'mark a key revoked: receipts it signed verify nothing any more',
  positionals: { min: 0, max: 0, names: '' },
  options: { key: { type: 'string' }, kid: { type: 'string' }, json: { type: 'boolean' } },
  help: `Usage: writ keys revoke --key KEYFILE --kid KID [--json]

  --key KEYFILE  the key ring, rewritten in place (required): private keys, or
                 public keys whose private keys are in a token ("signer": URI)
  --kid KID      the key to revoke (required)
  --json         print { revoked, active }

Marks KID revoked in KEYFILE. Every receipt it signed then fails verification with
KEY_REVOKED, wherever the published key set is refreshed. Revoking the active key
rotates first, so the authority can keep deciding; when the active key is in a
token, rotate into the token first (writ keys rotate --signer URI), then revoke the
key it retired: revoking it in place is refused.

Exit codes: 0 revoked, 2 usage error, 3 unreadable key file or unknown kid.`,
  async run(input, io) {
    const path = resolvePath(io, requiredFlag(input, 'key'))
    const kid = requiredFlag(input, 'kid')
    // A ring naming a token opens it exactly as writ serve does (keys that sign only).
    const keys = await openCommandKeys(io, input)
    try {
      const ring = keys.ring
      if (kid === ring.active.kid && isAsyncSigner(ring.active)) {
        throw usageError(
          `${kid} is the active key, in a token: rotate into the token first (writ keys rotate --signer URI), then revoke ${kid}`,
        )
      }
      ring.revoke(kid)
      writeRing(path, ring)
      if (input.values['json'] === true)
        io.stdout(jsonLine({ revoked: kid, active: ring.active.kid }))
      else io.stdout(`${kid} revoked; active key ${ring.active.kid}\n`)
      return EXIT_CODES.ok
    } finally {
      await keys.close()
    }
  },
}

/** `ring` rotated, and the key it retired. */
function rotated(ring: KeyRing, options: RotateOptions): { ring: KeyRing; previous: string } {
  const previous = ring.active.kid
  return { ring: ring.rotate(options), previous }
}

/** Rotates the ring of `path` to the token key `signerUri` names, generated now unless `--existing`. */
async function rotateIntoToken(
  input: ParsedInput,
  io: CliIo,
  path: string,
  signerUri: string,
  graceSeconds: number,
): Promise<{ ring: KeyRing; previous: string }> {
  const { generatePkcs11Key, openPkcs11Signer } = await loadSignerPackage()
  const previous = stringFlag(input, 'previous-signer')
  const fresh = !existsSync(path)
  if (fresh && previous === undefined) {
    throw usageError(`${path} does not exist: name the key that signs now with --previous-signer`)
  }
  const keys = await loadExternalKeys(io, {
    keyPath: fresh ? undefined : path,
    signerUri: previous,
  })
  try {
    if (input.values['existing'] !== true) await generatePkcs11Key({ uri: signerUri })
    const next = await openPkcs11Signer({ uri: signerUri })
    try {
      return rotated(keys.ring, { graceSeconds, next })
    } finally {
      await next.close()
    }
  } finally {
    await keys.close()
  }
}
