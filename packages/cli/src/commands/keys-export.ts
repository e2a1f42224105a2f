/**
 * `writ keys export --key KEYFILE`: the public JWK Set of one or more signing keys.
 */
import type { JwkSet, PublicJwk } from '@writ/verify'
import { usageError } from '../cli-error.js'
import { type Command, jsonLine, stringFlags } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { openSigner, publicKeysOf } from '../external-keys.js'

/** `writ keys export`. */
export const keysExportCommand: Command = {
  name: 'keys export',
  summary: 'print the public JWK Set of signing keys (never the private part)',
  positionals: { min: 0, max: 0, names: '' },
  options: { key: { type: 'string', multiple: true }, signer: { type: 'string', multiple: true } },
  help: `Usage: writ keys export --key KEYFILE [--key KEYFILE...] [--signer URI...]

Prints the public JWK Set ({"keys":[...]}) of the given private keys, as served at
/.well-known/writ/keys.json. The private member d is never printed. Give --key
several times to publish a rotation (old keys keep their status).

  --key KEYFILE  a private JWK written by \`writ keygen\`, or a key ring file
                 (mode 0600; repeatable)
  --signer URI   a key in a PKCS#11 token (RFC 7512 URI, PIN from its
                 pin-source): its public key is read from the token (repeatable)

Exit codes: 0 printed, 2 usage error, 3 key missing, unreadable or invalid.`,
  async run(input, io) {
    const files = stringFlags(input, 'key')
    const signers = stringFlags(input, 'signer')
    if (files.length === 0 && signers.length === 0) {
      throw usageError('missing required flag --key (or --signer)')
    }
    const byKid = new Map<string, PublicJwk>()
    for (const file of files) {
      for (const key of publicKeysOf(io, file)) byKid.set(key.kid, key)
    }
    for (const uri of signers) {
      const signer = await openSigner(uri)
      // A key the files already list keeps the status they give it.
      if (!byKid.has(signer.kid)) byKid.set(signer.kid, signer.publicJwk)
      await signer.close?.()
    }
    const set: JwkSet = { keys: [...byKid.values()] }
    io.stdout(jsonLine(set))
    return EXIT_CODES.ok
  },
}
