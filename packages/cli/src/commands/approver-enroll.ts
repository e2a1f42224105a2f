/**
 * `writ approver enroll ID`: asks the authority (`writ serve --approvals-origin`) for a
 * one-time link with which approver ID registers a passkey on the approvals page. The
 * link is a secret for one person: hand it over the way you would a password reset.
 */
import { APPROVER_ID_PATTERN } from '@writ/verify'
import { CliError, usageError } from '../cli-error.js'
import { type Command, jsonLine, positional, requiredFlag, stringFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readSecretFile } from '../serve-config.js'

/** `writ approver enroll`. */
export const approverEnrollCommand: Command = {
  name: 'approver enroll',
  summary: 'a one-time link for an approver to register a passkey on /approvals',
  positionals: { min: 1, max: 1, names: 'ID' },
  options: {
    server: { type: 'string' },
    'token-file': { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: writ approver enroll ID --server URL [--token-file FILE] [--json]

Asks the authority for a one-time enrollment link for approver ID (an approver of
its --approvers file). Opened once, before it expires (one day), the link lets that
approver register a passkey on the approvals page; the passkey then signs their
approvals. Needs writ serve started with --approvals-origin, and an operator token
from --token-file FILE (mode 0600) or WRIT_TOKEN.

  --server URL       the authority (writ serve)
  --token-file FILE  the operator's bearer token
  --json             print { approver, url, exp }

Exit codes: 0 printed, 2 usage error, 3 the server refused or cannot be reached.`,
  async run(input, io) {
    const approver = positional(input, 0)
    if (!APPROVER_ID_PATTERN.test(approver))
      throw usageError('ID must match [A-Za-z0-9_.:@-]{1,128}')
    const server = requiredFlag(input, 'server').replace(/\/$/, '')
    const file = stringFlag(input, 'token-file')
    const token =
      file !== undefined
        ? readSecretFile(io, file, 'token file')
        : (io.env ?? process.env)['WRIT_TOKEN']
    if (token === undefined || token === '') {
      throw usageError(
        'an enrollment link needs an operator token: --token-file FILE or WRIT_TOKEN',
      )
    }
    let response: Response
    try {
      response = await fetch(`${server}/v1/approvers/${encodeURIComponent(approver)}/enrollments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      })
    } catch (error) {
      throw new CliError('IO_ERROR', `cannot reach ${server}`, { cause: error })
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>
    if (response.status !== 201 || typeof body['url'] !== 'string') {
      const code = typeof body['code'] === 'string' ? body['code'] : `HTTP_${response.status}`
      throw new CliError('IO_ERROR', `the authority refused: ${code}`, { details: { code } })
    }
    if (input.values['json'] === true) io.stdout(jsonLine(body))
    else {
      io.stdout(`${body['url']}\n`)
      io.stderr(
        `writ: one-time link for ${approver}, valid until ${new Date(Number(body['exp']) * 1000).toISOString()}\n`,
      )
    }
    return EXIT_CODES.ok
  },
}
