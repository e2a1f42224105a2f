/**
 * The agents file of `writ serve`: who may call the authority, as agents or operators.
 *
 *     agents:
 *       - agent: agent:treasury-bot       # signed into receipts as sub
 *         tokenSha256: <64 hex>            # from writ token new
 *         context: { team: treasury }      # optional: facts the operator vouches for
 *         audiences: [https://bank.internal]  # optional: the only aud it may ask for
 *         sessionKey: <base64url>          # optional: signs Writ-Session headers
 *     operators:                           # optional
 *       - name: ops                        # checkpoints, every receipt, /metrics
 *         tokenSha256: <64 hex>
 *
 * Unknown members are refused, not ignored: a misspelled `audiences` would otherwise
 * leave an agent unrestricted.
 */
import { decodeSessionKey } from '@writ/core/internal'
import type { AgentCredential, OperatorCredential } from '@writ/server'
import type { JsonObject } from '@writ/verify'
import { parseJson } from '@writ/verify/internal'
import { parse as parseYaml } from 'yaml'
import { CliError } from './cli-error.js'

/** The credentials an agents file lists. */
export interface AgentsFile {
  readonly agents: readonly AgentCredential[]
  readonly operators: readonly OperatorCredential[]
}

const HASH = /^[0-9a-f]{64}$/

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

type Fail = (message: string) => CliError

/** Checks each entry's token hash: hex SHA-256, and never listed twice in the file. */
function hashChecker(fail: Fail) {
  const seen = new Set<string>()
  return (value: unknown, where: string): string => {
    if (typeof value !== 'string' || !HASH.test(value))
      throw fail(`${where} needs a hex "tokenSha256" (see writ token new)`)
    if (seen.has(value)) throw fail(`${where} reuses a token hash listed before it`)
    seen.add(value)
    return value
  }
}

/** An entry of a list: an object with only the `allowed` members. */
function entryObject(
  entry: unknown,
  where: string,
  allowed: readonly string[],
  fail: Fail,
): Record<string, unknown> {
  if (!isObject(entry)) throw fail(`${where} must be an object`)
  for (const member of Object.keys(entry))
    if (!allowed.includes(member)) throw fail(`${where}: unknown member "${member}"`)
  return entry
}

type HashCheck = ReturnType<typeof hashChecker>

function readAgent(value: unknown, where: string, fail: Fail, hash: HashCheck): AgentCredential {
  const entry = entryObject(
    value,
    where,
    ['agent', 'tokenSha256', 'context', 'audiences', 'sessionKey'],
    fail,
  )
  if (typeof entry['agent'] !== 'string' || entry['agent'] === '')
    throw fail(`${where} needs "agent"`)
  const tokenSha256 = hash(entry['tokenSha256'], where)
  const { context, audiences, sessionKey } = entry
  if (context !== undefined && !isObject(context)) throw fail(`${where}.context must be an object`)
  if (sessionKey !== undefined && decodeSessionKey(sessionKey) === undefined)
    throw fail(
      `${where}.sessionKey must be base64url of 32 or more random bytes (see writ token new --session-key)`,
    )
  if (
    audiences !== undefined &&
    (!Array.isArray(audiences) ||
      audiences.length === 0 ||
      !audiences.every((audience) => typeof audience === 'string' && audience !== ''))
  )
    throw fail(`${where}.audiences must be a non-empty list of strings`)
  return {
    agent: entry['agent'],
    tokenSha256,
    ...(context === undefined ? {} : { context: context as JsonObject }),
    ...(audiences === undefined ? {} : { audiences: audiences as string[] }),
    ...(sessionKey === undefined ? {} : { sessionKey: sessionKey as string }),
  }
}

function readOperator(
  value: unknown,
  where: string,
  fail: Fail,
  hash: HashCheck,
): OperatorCredential {
  const entry = entryObject(value, where, ['name', 'tokenSha256'], fail)
  if (typeof entry['name'] !== 'string' || entry['name'] === '') throw fail(`${where} needs "name"`)
  return { name: entry['name'], tokenSha256: hash(entry['tokenSha256'], where) }
}

function parseDocument(text: string, path: string): unknown {
  try {
    return path.endsWith('.json') ? parseJson(text) : parseYaml(text, { uniqueKeys: true })
  } catch (cause) {
    throw new CliError('IO_ERROR', `cannot parse agents file ${path}`, { cause })
  }
}

/** Reads and validates an agents file; every problem is an `IO_ERROR` naming the entry. */
export function readAgentsFile(text: string, path: string): AgentsFile {
  const document = parseDocument(text, path)
  const fail: Fail = (message) => new CliError('IO_ERROR', `${path}: ${message}`)
  if (!isObject(document)) throw fail('must hold { agents: [...], operators?: [...] }')
  for (const member of Object.keys(document))
    if (member !== 'agents' && member !== 'operators')
      throw fail(`unknown member "${member}" (expected agents and operators)`)
  const { agents, operators = [] } = document
  if (!Array.isArray(agents) || agents.length === 0)
    throw fail('must hold { agents: [{ agent, tokenSha256 }, ...] }')
  if (!Array.isArray(operators)) throw fail('operators must be a list of { name, tokenSha256 }')
  const hash = hashChecker(fail)
  return {
    agents: agents.map((entry: unknown, index) => readAgent(entry, `agents[${index}]`, fail, hash)),
    operators: operators.map((entry: unknown, index) =>
      readOperator(entry, `operators[${index}]`, fail, hash),
    ),
  }
}
