/**
 * `writ serve`: run the authority as an HTTP service (deployment shape 2).
 */
import { randomBytes } from 'node:crypto'
import { createGate, type Store } from '@writ/core'
import { hashToken, startAuthorityServer } from '@writ/server'
import { createPostgresStore } from '@writ/store-postgres'
import { createSqliteStore } from '@writ/store-sqlite'
import { readAgentsFile } from '../agents-file.js'
import { usageError } from '../cli-error.js'
import { type Command, jsonLine, requiredFlag, stringFlag } from '../command.js'
import { requireOwnerWritable } from '../file-safety.js'
import { readTextFile, requireFile, resolvePath } from '../files.js'
import { loadPolicy } from '../inputs.js'
import { loadSigningKeys } from '../keys.js'

/** A file that decides who may do what: it must exist and be writable by its owner only. */
function trustedFile(io: Parameters<Command['run']>[1], path: string, what: string): string {
  requireOwnerWritable(requireFile(io, path, what), what)
  return path
}

function positiveFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^[0-9]{1,7}(\.[0-9]{1,3})?$/.test(value) || Number(value) <= 0)
    throw usageError(`${flag} must be a positive number`)
  return Number(value)
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
    'public-metrics': { type: 'boolean' },
    rate: { type: 'string' },
    burst: { type: 'string' },
    'max-in-flight': { type: 'string' },
  },
  help: `Usage: writ serve --policy FILE --key KEYFILE --agents FILE
                  (--store DB | --postgres URL) [--chain ID] [--issuer ISS]
                  [--port 8787] [--host 127.0.0.1] [--checkpoint-interval SECONDS]
                  [--accept-agent-context] [--public-metrics]
                  [--rate 50] [--burst 100] [--max-in-flight 16]

Runs the authority: agents POST proposed actions to /v1/decisions with their own
bearer token and get a decision and its signed receipt; the identity in each
receipt comes from the token. Publishes /.well-known/writ/keys.json, checkpoints,
receipts, /healthz, /readyz and /metrics. Operators (listed in the agents file)
alone may issue checkpoints, read every agent's receipts and read /metrics; an
agent reads only its own receipts. The first line on stdout is
"writ: serving on <URL>". SIGHUP reloads the policy file; a broken file is
reported and the last valid policy keeps serving. SIGINT or SIGTERM stops.

  --policy FILE          policy document, YAML or JSON (required)
  --key KEYFILE          private signing key or key ring (mode 0600; required)
  --agents FILE          { agents: [{ agent, tokenSha256, context?, audiences? }],
                         operators?: [{ name, tokenSha256 }] } (see writ token
                         new); context holds facts the operator vouches for;
                         audiences lists the only aud values the agent may ask
                         permits for (exact strings; then aud is required)
  --accept-agent-context also take "context" from agents' requests (untrusted; the
                         agents file's context wins). Refused (400) by default
  --store DB             SQLite store (one instance; concurrent decisions share
                         durable commits, each answered only after its commit)
  --postgres URL         PostgreSQL store (several instances, one chain each)
  --chain ID             this instance's chain id (default: the host name and port)
  --issuer ISS           receipt iss (default http://HOST:PORT)
  --checkpoint-interval  issue a signed checkpoint every SECONDS
  --public-metrics       serve /metrics without a token (private networks only;
                         by default an operator token is required)
  --rate N               decisions per second per credential (default 50)
  --burst N              decisions a credential may send at once (default 100)
  --max-in-flight N      decisions in flight per credential (default 16); beyond
                         these limits: 429 RATE_LIMITED / CONCURRENCY_LIMITED

The policy, agents and key files must be writable by their owner only, and not
sit in a directory anyone may write without the sticky bit: otherwise serve
stops with FILE_UNSAFE (exit 3). The key file must also be unreadable by others.

Exit codes: 0 stopped by a signal, 1 invalid policy, 2 usage error,
3 unreadable or unsafe file, bad key or unreachable store.`,
  async run(input, io) {
    const policyPath = trustedFile(io, requiredFlag(input, 'policy'), 'policy file')
    const keyPath = trustedFile(io, requiredFlag(input, 'key'), 'key file')
    const agentsPath = trustedFile(io, requiredFlag(input, 'agents'), 'agents file')
    const policy = loadPolicy(io, policyPath)
    const keys = loadSigningKeys(io, keyPath)
    const { agents, operators } = readAgentsFile(
      readTextFile(io, agentsPath, 'agents file'),
      agentsPath,
    )
    const ratePerSecond = positiveFlag(stringFlag(input, 'rate'), '--rate')
    const burst = positiveFlag(stringFlag(input, 'burst'), '--burst')
    const maxInFlight = positiveFlag(stringFlag(input, 'max-in-flight'), '--max-in-flight')
    if (maxInFlight !== undefined && !Number.isInteger(maxInFlight))
      throw usageError('--max-in-flight must be a whole number')
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
      operators,
      metrics: input.values['public-metrics'] === true ? 'public' : 'operator',
      limits: {
        ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
        ...(burst === undefined ? {} : { burst }),
        ...(maxInFlight === undefined ? {} : { maxInFlight }),
      },
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
          if (result.status === 'applied')
            io.stderr(`writ: policy reloaded: ${result.policy.id} ${result.policy.digest}\n`)
          else if (result.status === 'failed')
            io.stderr(
              `writ: ${result.error.code}: policy reload failed, still serving ${gate.policy.digest}: ${result.error.message}\n`,
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
  summary: 'create a bearer token for an agent or operator of writ serve',
  positionals: { min: 0, max: 0, names: '' },
  options: { agent: { type: 'string' }, operator: { type: 'string' } },
  help: `Usage: writ token new (--agent ID | --operator NAME)

Prints { agent, token, tokenSha256 } (or { operator, ... }) as one JSON line.
Give the token to the agent or operator; put { agent, tokenSha256 } under
agents, or { name, tokenSha256 } under operators, in the agents file of writ
serve. The server keeps only the hash.`,
  async run(input, io) {
    const agent = stringFlag(input, 'agent')
    const operator = stringFlag(input, 'operator')
    if ((agent === undefined) === (operator === undefined))
      throw usageError('give exactly one of --agent ID or --operator NAME')
    const token = `writ_${randomBytes(32).toString('base64url')}`
    io.stdout(
      jsonLine({
        ...(agent === undefined ? { operator } : { agent }),
        token,
        tokenSha256: hashToken(token),
      }),
    )
    return 0
  },
}
