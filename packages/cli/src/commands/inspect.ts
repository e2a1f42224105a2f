/**
 * `writ inspect TOKEN|FILE`: shows what a receipt or checkpoint says, without
 * verifying it, and says so.
 */
import { tokenDigest } from '@writ/verify'
import { CliError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, positional } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readTokenArgument } from '../files.js'

const timeClaims: ReadonlySet<string> = new Set(['iat', 'exp', 'nbf'])

function decodeSegment(segment: string, name: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
  } catch (cause) {
    throw new CliError('IO_ERROR', `the token's ${name} is not base64url JSON`, { cause })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError('IO_ERROR', `the token's ${name} is not a JSON object`)
  }
  return value as Record<string, unknown>
}

function display(key: string, value: unknown): string {
  if (
    timeClaims.has(key.slice(key.lastIndexOf('.') + 1)) &&
    typeof value === 'number' &&
    Number.isSafeInteger(value)
  ) {
    const date = new Date(value * 1000)
    return Number.isNaN(date.getTime()) ? String(value) : `${date.toISOString()} (${value})`
  }
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function flatten(prefix: string, value: Record<string, unknown>, lines: [string, string][]): void {
  for (const key of Object.keys(value)) {
    const member = value[key]
    const name = prefix === '' ? key : `${prefix}.${key}`
    if (typeof member === 'object' && member !== null && !Array.isArray(member)) {
      flatten(name, member as Record<string, unknown>, lines)
    } else {
      lines.push([name, display(name, member)])
    }
  }
}

/** Who approved a PERMIT (its `appr`), or whom an approval is by, in one line. */
function approvalLines(claims: Record<string, unknown>): [string, string] | undefined {
  const appr = claims['appr']
  if (Array.isArray(appr)) {
    const names = appr.map((entry) => String((entry as { by?: unknown }).by)).join(', ')
    return ['approved by', `${names} (hold ${String(claims['hold'])})`]
  }
  if (typeof claims['approver'] === 'string' && typeof claims['verdict'] === 'string')
    return [
      'approval',
      `${claims['verdict']} by ${claims['approver']} for hold ${String(claims['hold'])}`,
    ]
  return undefined
}

/** `writ inspect`. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show the header and claims of a receipt or checkpoint, WITHOUT verifying it',
  positionals: { min: 1, max: 1, names: 'TOKEN|FILE' },
  options: { json: { type: 'boolean' } },
  help: `Usage: writ inspect TOKEN|FILE [--json]

Decodes a receipt or checkpoint (compact JWS) and prints its header and claims,
times as ISO 8601 dates. Nothing is verified: anyone can write a token that
decodes. Use \`writ verify --keys JWKS\` to check one.

  TOKEN|FILE  the token itself, or a file holding it
  --json      print { verified: false, header, claims, digest }

Exit codes: 0 decoded, 2 usage error, 3 not a decodable token or unreadable file.`,
  async run(input, io) {
    const token = readTokenArgument(io, positional(input, 0))
    const parts = token.split('.')
    if (parts.length !== 3) {
      throw new CliError('IO_ERROR', 'not a compact JWS: expected three dot-separated segments')
    }
    const header = decodeSegment(parts[0] as string, 'header')
    const claims = decodeSegment(parts[1] as string, 'claims')
    const digest = tokenDigest(token)
    if (booleanFlag(input, 'json')) {
      io.stdout(jsonLine({ verified: false, header, claims, digest }))
      return EXIT_CODES.ok
    }
    const lines: [string, string][] = []
    flatten('header', header, lines)
    flatten('', claims, lines)
    lines.push(['digest', digest])
    const approvals = approvalLines(claims)
    if (approvals !== undefined) lines.push(approvals)
    const width = Math.max(...lines.map(([name]) => name.length))
    io.stdout('NOT VERIFIED: decoded only; the signature was not checked (use `writ verify`).\n')
    for (const [name, value] of lines) io.stdout(`${name.padEnd(width)}  ${value}\n`)
    return EXIT_CODES.ok
  },
}
