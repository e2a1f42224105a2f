import type { Client } from '@modelcontextprotocol/sdk/client/index.js'

/** Where the upstream server is: a command to start (stdio), or a Streamable HTTP URL. */
export type UpstreamLocation =
  | { readonly command: string; readonly args?: readonly string[] }
  | { readonly url: string }

/**
 * Connects an SDK `Client` to the upstream server: starts the command and speaks stdio to
 * it, or speaks Streamable HTTP to the URL. The command gets this process's environment
 * without its `WRIT_*` variables (store URLs and other settings of Writ stay with Writ).
 */
export async function connectUpstream(location: UpstreamLocation): Promise<Client> {
  const { Client } = await import('@modelcontextprotocol/sdk/client/index.js')
  const client = new Client({ name: 'writ-mcp-proxy', version: '1.0.0' })
  if ('url' in location) {
    const { StreamableHTTPClientTransport } = await import(
      '@modelcontextprotocol/sdk/client/streamableHttp.js'
    )
    await client.connect(new StreamableHTTPClientTransport(new URL(location.url)))
    return client
  }
  const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js')
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !name.startsWith('WRIT_')) env[name] = value
  await client.connect(
    new StdioClientTransport({ command: location.command, args: [...(location.args ?? [])], env }),
  )
  return client
}
