/**
 * `writ mcp proxy`: put the gate in front of an MCP server. The host (an assistant, an
 * IDE, an agent runtime) talks MCP to this command over stdio or Streamable HTTP; every
 * `tools/call` is decided and signed before it is forwarded to the upstream server.
 */
import { createGate, type Store } from '@writ/core'
import { parseJson } from '@writ/verify/internal'
import { usageError } from '../cli-error.js'
import {
  booleanFlag,
  type Command,
  type ParsedInput,
  requiredFlag,
  stringFlag,
} from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readJsonArgument, resolvePath } from '../files.js'
import { contextFlag, loadPolicy } from '../inputs.js'
import type { CliIo } from '../io.js'
import { loadSigningKeys } from '../keys.js'
import { loadMcpPackage, type McpPackage } from '../mcp-package.js'
import { openStore, STORE_FLAGS, storeLocation } from '../store.js'

/** Issuer written into receipts when `--issuer` is not given. */
const DEFAULT_ISSUER = 'writ-mcp'

/** `--listen HOST:PORT` read into its parts; IPv6 hosts in brackets. */
function listenFlag(value: string | undefined): { host: string; port: number } | undefined {
  if (value === undefined) return undefined
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([A-Za-z0-9.-]+)):([0-9]{1,5})$/.exec(value)
  const port = Number(match?.[3])
  if (match === null || port > 65535)
    throw usageError('--listen must be HOST:PORT, e.g. 127.0.0.1:8931')
  return { host: match[1] ?? match[2] ?? '', port }
}

function upstreamOf(input: ParsedInput): { command: string; args: string[] } | { url: string } {
  const url = stringFlag(input, 'upstream-url')
  const [command, ...args] = input.positionals
  if ((url === undefined) === (command === undefined))
    throw usageError('name the upstream server: --upstream-url URL, or -- COMMAND [ARGS…]')
  if (url !== undefined) {
    if (!/^https?:\/\//.test(url)) throw usageError('--upstream-url must be an http(s) URL')
    return { url }
  }
  return { command: command ?? '', args }
}

/** `--name SERVER`: required, and a name action names can carry. */
function serverName(input: ParsedInput): string {
  const name = requiredFlag(input, 'name')
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw usageError('--name must be 1 to 64 characters of [A-Za-z0-9_-]')
  return name
}

/** `--action-map JSON|@FILE`: a table of tool name to action name. */
function actionMap(io: CliIo, input: ParsedInput): Record<string, string> | undefined {
  const value = stringFlag(input, 'action-map')
  if (value === undefined) return undefined
  const table = parseJson(readJsonArgument(io, value, '--action-map'))
  if (
    typeof table !== 'object' ||
    table === null ||
    Array.isArray(table) ||
    !Object.values(table).every((name) => typeof name === 'string')
  )
    throw usageError('--action-map must be a JSON object of tool name to action name')
  return table as Record<string, string>
}

/** The proxy's options from the flags, besides the gate and the upstream. */
function proxyOptions(
  io: CliIo,
  input: ParsedInput,
  mcp: McpPackage,
  policy: ReturnType<typeof loadPolicy>,
) {
  const pins = stringFlag(input, 'pins')
  const context = contextFlag(io, input)
  const mapping = actionMap(io, input)
  const flags = {
    server: serverName(input),
    agent: stringFlag(input, 'agent'),
    audience: stringFlag(input, 'audience'),
  }
  return {
    ...Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined)),
    ...(context === undefined ? {} : { context }),
    ...(mapping === undefined ? {} : { actionName: mapping }),
    ...(pins === undefined
      ? {}
      : {
          pins: mcp.filePins(resolvePath(io, pins), { locked: booleanFlag(input, 'pins-locked') }),
        }),
    ...(booleanFlag(input, 'show-all-tools') ? {} : { visible: mcp.permittableBy(policy) }),
  }
}

/** Resolves when the host or the upstream goes away, or the process is told to stop. */
function untilDone(
  host: { onclose?: (() => void) | undefined } | undefined,
  upstream: { onclose?: (() => void) | undefined },
): Promise<void> {
  return new Promise((resolve) => {
    if (host !== undefined) host.onclose = resolve
    upstream.onclose = resolve
    process.once('SIGINT', resolve).once('SIGTERM', resolve)
  })
}

async function serve(input: ParsedInput, io: CliIo, store: Store | undefined): Promise<number> {
  const policy = loadPolicy(io, requiredFlag(input, 'policy'))
  const keys = loadSigningKeys(io, requiredFlag(input, 'key'))
  serverName(input)
  const upstream = upstreamOf(input)
  const listen = listenFlag(stringFlag(input, 'listen'))
  if (input.values['pins-locked'] === true && stringFlag(input, 'pins') === undefined)
    throw usageError('--pins-locked needs --pins FILE')
  const mcp = await loadMcpPackage()
  const gate = createGate({
    policy,
    keys,
    issuer: stringFlag(input, 'issuer') ?? DEFAULT_ISSUER,
    ...(store === undefined ? {} : { store, chainId: stringFlag(input, 'chain') ?? 'main' }),
  })
  const options = proxyOptions(io, input, mcp, policy)
  const client = await mcp.connectUpstream(upstream)
  try {
    const proxy = mcp.createMcpProxy({ ...options, gate, upstream: client })
    if (listen === undefined) {
      await untilDone(await proxy.serveStdio(), client)
      return EXIT_CODES.ok
    }
    const listener = await proxy.listen(listen.host, listen.port)
    io.stderr(`writ: mcp proxy listening on ${listener.url}\n`)
    await untilDone(undefined, client)
    await listener.close()
    return EXIT_CODES.ok
  } finally {
    await client.close()
  }
}

/** `writ mcp proxy`. */
export const mcpProxyCommand: Command = {
  name: 'mcp proxy',
  summary:
    'put the gate in front of an MCP server: every tools/call decided before it is forwarded',
  positionals: { min: 0, max: Number.POSITIVE_INFINITY, names: '-- COMMAND [ARGS…]' },
  options: {
    policy: { type: 'string' },
    key: { type: 'string' },
    ...STORE_FLAGS,
    chain: { type: 'string' },
    issuer: { type: 'string' },
    'upstream-url': { type: 'string' },
    listen: { type: 'string' },
    name: { type: 'string' },
    'action-map': { type: 'string' },
    agent: { type: 'string' },
    audience: { type: 'string' },
    context: { type: 'string' },
    pins: { type: 'string' },
    'pins-locked': { type: 'boolean' },
    'show-all-tools': { type: 'boolean' },
  },
  help: `Usage: writ mcp proxy --policy FILE --key KEYFILE --name SERVER
                      [(--store DB | --store-url-file FILE) [--chain ID]] [--issuer ISS]
                      [--listen HOST:PORT] [--action-map JSON|@FILE]
                      [--agent ID] [--audience AUD] [--context JSON|@FILE]
                      [--pins FILE [--pins-locked]] [--show-all-tools]
                      (-- COMMAND [ARGS…] | --upstream-url URL)

Stands in front of an MCP server. The host talks MCP to this command (over stdio,
or over Streamable HTTP with --listen); each tools/call is decided under the policy
as action mcp.<SERVER>.<tool> with the call's arguments, and forwarded only on
PERMIT. A DENY, a SILENCE or a held call comes back as a tool result with
isError: true that the model can read; every result carries its receipt in
_meta["dev.writ/receipt"]. Tools no policy rule could permit are not listed. Each
tool's definition (name, description, input schema) is pinned when first seen; a
changed definition is refused (TOOL_DEFINITION_CHANGED) until it is re-pinned.
Only tools pass through: resources and prompts are not offered to the host.

  --policy FILE        policy document, YAML or JSON (required)
  --key KEYFILE        private signing key or key ring (mode 0600; required)
  --store DB           append receipts to this store (a SQLite file, created when
                       missing, or a postgres:// URL without a password); without
                       one, receipts are not kept
  --store-url-file FILE  a file (mode 0600) holding a PostgreSQL URL
  --chain ID           chain id in the store (default main)
  --issuer ISS         receipt iss (default ${DEFAULT_ISSUER})
  -- COMMAND [ARGS…]   start the upstream server and speak stdio to it; it gets
                       this environment without the WRIT_* variables
  --upstream-url URL   or speak Streamable HTTP to an upstream server at URL
  --listen HOST:PORT   serve hosts over Streamable HTTP at http://HOST:PORT/mcp
                       (stateless, JSON answers) instead of stdio
  --name SERVER        the server's name in action names, [A-Za-z0-9_-] (required:
                       chosen by you, never taken from the server)
  --action-map JSON|@FILE  tool name to action name, for tools that should not
                       be mcp.<server>.<tool>
  --agent ID           the agent named in receipts (sub)
  --audience AUD       the receipt's aud
  --context JSON|@FILE extra facts for policy conditions
  --pins FILE          pin tool definitions in FILE (an operator reviews it);
                       new tools are added to it; without it, pins last as long
                       as the process
  --pins-locked        take FILE as it is: a tool it does not list is hidden
                       and refused (TOOL_NOT_PINNED)
  --show-all-tools     list every pinned tool, even those no rule could permit

Exit codes: 0 the host or the upstream closed, or a signal stopped the proxy;
2 usage error; 3 unreadable file, bad key or store, @writ/mcp not installed.`,
  async run(input, io) {
    const location = storeLocation(input, io, { environment: false })
    const store = location === undefined ? undefined : await openStore(location)
    if (store === undefined) io.stderr('writ: note: no --store given: receipts are not kept\n')
    try {
      return await serve(input, io, store)
    } finally {
      await store?.close()
    }
  },
}
