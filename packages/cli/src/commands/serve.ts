/**
 * `writ serve`: run the authority as an HTTP service (deployment shape 2).
 */
import { randomBytes } from 'node:crypto'
import { createGate, type Store } from '@writ/core'
import { type AgentCredential, hashToken, startAuthorityServer } from '@writ/server'
import { createPostgresStore } from '@writ/store-postgres'
import { createSqliteStore } from '@writ/store-sqlite'
import { type JsonObject, parseJson } from '@writ/verify'
import { parse as parseYaml } from 'yaml'
import { CliError, usageError } from '../cli-error.js'
import { type Command, jsonLine, requiredFlag, stringFlag } from '../command.js'
import { readTextFile, resolvePath } from '../files.js'
import { loadPolicy } from '../inputs.js'
import { loadSigningKeys } from '../keys.js'

function readAgents(text: string, path: string): AgentCredential[] {
  let document: unknown
  try {
    document = path.endsWith('.json') ? parseJson(text) : parseYaml(text, { uniqueKeys: true })
  } catch (cause) {
    throw new CliError('IO_ERROR', `cannot parse agents file ${path}`, { cause })
  }
  const agents = (document as { agents?: unknown } | null)?.agents
  if (!Array.isArray(agents) || agents.length === 0) {
    throw new CliError('IO_ERROR', `${path} must hold { agents: [{ agent, tokenSha256 }, ...] }`)
  }
  return agents.map((entry, index) => {
    const candidate = entry as Partial<AgentCredential> | null
    if (
      typeof candidate?.agent !== 'string' ||
      typeof candidate.tokenSha256 !== 'string' ||
      !/^[0-9a-f]{64}$/.test(candidate.tokenSha256)
    ) {
      throw new CliError(
        'IO_ERROR',
        `${path}: agents[${index}] needs "agent" and a hex "tokenSha256"`,
      )
    }
    const context = (candidate as { context?: unknown }).context
    if (
      context !== undefined &&
      (context === null || typeof context !== 'object' || Array.isArray(context))
    ) {
      throw new CliError('IO_ERROR', `${path}: agents[${index}].context must be an object`)
    }
    return {
      agent: candidate.agent,
      tokenSha256: candidate.tokenSha256,
      ...(context === undefined ? {} : { context: context as JsonObject }),
    }
  })
}

function portFlag(value: string | undefined): number {
  if (value === undefined) return 8787
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) > 65535)
    throw usageError('--port must be 0 to 65535')
  return Number(value)
}

/** `writ serve`. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'run the authority as an HTTP service',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    policy: { type: 'string' },
    key: { type: 'string' },
    agents: { type: 'string' },
    store: { type: 'string' },
    postgres: { type: 'string' },
    chain: { type: 'string' },
    issuer: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'checkpoint-interval': { type: 'string' },
    'accept-agent-context': { type: 'boolean' },
  },
  help: `Usage: writ serve --policy FILE --key KEYFILE --agents FILE
                  (--store DB | --postgres URL) [--chain ID] [--issuer ISS]
                  [--port 8787] [--host 127.0.0.1] [--checkpoint-interval SECONDS]
                  [--accept-agent-context]

Runs the authority: agents POST proposed actions to /v1/decisions with their own
bearer token and get a decision and its signed receipt; the identity in each
receipt comes from the token. Publishes /.well-known/writ/keys.json, checkpoints,
receipts, /healthz, /readyz and /metrics. The first line on stdout is
"writ: serving on <URL>". SIGHUP reloads the policy file; a broken file is
reported and the last valid policy keeps serving. SIGINT or SIGTERM stops.

  --policy FILE          policy document, YAML or JSON (required)
  --key KEYFILE          private signing key or key ring (mode 0600; required)
  --agents FILE          { agents: [{ agent, tokenSha256, context? }] } (see writ
                         token new); context holds facts the operator vouches for
  --accept-agent-context also take "context" from agents' requests (untrusted; the
                         agents file's context wins). Refused (400) by default
  --store DB             SQLite store (one instance; concurrent decisions share
                         durable commits, each answered only after its commit)
  --postgres URL         PostgreSQL store (several instances, one chain each)
  --chain ID             this instance's chain id (default: the host name and port)
  --issuer ISS           receipt iss (default http://HOST:PORT)
  --checkpoint-interval  issue a signed checkpoint every SECONDS

Exit codes: 0 stopped by a signal, 1 invalid policy, 2 usage error,
3 unreadable file, bad key or unreachable store.`,
  async run(input, io) {
    const policyPath = requiredFlag(input, 'policy')
    const policy = loadPolicy(io, policyPath)
    const keys = loadSigningKeys(io, requiredFlag(input, 'key'))
    const agentsPath = requiredFlag(input, 'agents')
    const agents = readAgents(readTextFile(io, agentsPath, 'agents file'), agentsPath)
    const sqlitePath = stringFlag(input, 'store')
    const postgresUrl = stringFlag(input, 'postgres')
    if ((sqlitePath === undefined) === (postgresUrl === undefined))
      throw usageError('give exactly one of --store DB or --postgres URL')
    const port = portFlag(stringFlag(input, 'port'))
    const hostname = stringFlag(input, 'host') ?? '127.0.0.1'
    const interval = stringFlag(input, 'checkpoint-interval')
    if (interval !== undefined && !/^[1-9][0-9]{0,6}$/.test(interval))
      throw usageError('--checkpoint-interval must be a number of seconds')
    const store: Store =
      sqlitePath !== undefined
        ? createSqliteStore({ path: resolvePath(io, sqlitePath), groupCommit: true })
        : await createPostgresStore({ connectionString: postgresUrl as string })
    const chainId =
      stringFlag(input, 'chain') ??
      `${hostname}-${port === 0 ? randomBytes(4).toString('hex') : port}`
    const gate = createGate({
      policy,
      keys,
      issuer: stringFlag(input, 'issuer') ?? `http://${hostname}:${port}`,
      store,
      chainId,
    })
    const server = await startAuthorityServer({
      gate,
      agents,
      policyFile: resolvePath(io, policyPath),
      acceptAgentContext: input.values['accept-agent-context'] === true,
      port,
      hostname,
      ...(interval === undefined ? {} : { checkpointIntervalMs: Number(interval) * 1000 }),
    })
    io.stdout(
      `writ: serving on ${server.url} (policy ${policy.id} ${policy.digest}, chain ${chainId})\n`,
    )
    return new Promise<number>((resolve) => {
      const reload = () => {
        void server.reloadPolicy().then((result) => {
          io.stderr(
            result.ok
              ? `writ: policy reloaded: ${result.policy.id} ${result.policy.digest}\n`
              : `writ: ${result.error.code}: policy reload failed, still serving ${gate.policy.digest}: ${result.error.message}\n`,
          )
        })
      }
      const stop = () => {
        process.off('SIGHUP', reload)
        process.off('SIGINT', stop)
        process.off('SIGTERM', stop)
        void server
          .close()
          .then(() => store.close())
          .finally(() => resolve(0))
      }
      process.on('SIGHUP', reload)
      process.on('SIGINT', stop)
      process.on('SIGTERM', stop)
    })
  },
}

/** `writ token new`: a fresh bearer token for an agent, and the line for the agents file. */
export const tokenNewCommand: Command = {
  name: 'token new',
  summary: 'create a bearer token for an agent of writ serve',
  positionals: { min: 0, max: 0, names: '' },
  options: { agent: { type: 'string' } },
  help: `Usage: writ token new --agent ID

Prints { agent, token, tokenSha256 } as one JSON line. Give the token to the
agent; put { agent, tokenSha256 } in the agents file of writ serve. The server
keeps only the hash.`,
  async run(input, io) {
    const agent = requiredFlag(input, 'agent')
    const token = `writ_${randomBytes(32).toString('base64url')}`
    io.stdout(jsonLine({ agent, token, tokenSha256: hashToken(token) }))
    return 0
  },
}
