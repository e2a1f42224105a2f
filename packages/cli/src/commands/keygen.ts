/**
 * `writ keygen --out KEYFILE`: a new Ed25519 signing key, written readable by its
 * owner only.
 */
import { rmSync, writeFileSync } from 'node:fs'
import { generateSigningKey } from '@writ/core'
import { CliError, usageError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, requiredFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { resolvePath } from '../files.js'

/** `writ keygen`. */
export const keygenCommand: Command = {
  name: 'keygen',
  summary: 'generate a private Ed25519 signing key (JWK, file mode 0600)',
  positionals: { min: 0, max: 0, names: '' },
  options: { out: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } },
  help: `Usage: writ keygen --out KEYFILE [--force] [--json]

Generates an Ed25519 signing key from 32 random bytes and writes it as a private
JWK to KEYFILE, created with mode 0600. Prints the key id (kid, the RFC 7638
thumbprint). Publish its public half with \`writ keys export --key KEYFILE\`.

  --out KEYFILE  where to write the key (required)
  --force        replace an existing file (by default an existing file is refused)
  --json         print { kid, path }

Exit codes: 0 written, 2 usage error, 3 file exists or cannot be written.`,
  async run(input, io) {
    const out = requiredFlag(input, 'out')
    if (out === '-') throw usageError('--out must name a file; a private key is never printed')
    const path = resolvePath(io, out)
    const key = generateSigningKey()
    try {
      if (booleanFlag(input, 'force')) rmSync(path, { force: true })
      // 'wx' refuses to follow or replace anything already there, and the mode is set at creation.
      writeFileSync(path, `${JSON.stringify(key, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
    } catch (cause) {
      const reason = (cause as NodeJS.ErrnoException).code ?? 'unwritable'
      const message =
        reason === 'EEXIST'
          ? `${out} already exists; use --force to replace it`
          : `cannot write ${out} (${reason})`
      throw new CliError('IO_ERROR', message, { cause, details: { path } })
    }
    if (booleanFlag(input, 'json')) io.stdout(jsonLine({ kid: key.kid, path }))
    else io.stdout(`${key.kid}\n`)
    return EXIT_CODES.ok
  },
}
