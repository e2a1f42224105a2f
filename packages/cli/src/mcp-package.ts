/**
 * `@writ/mcp`, as `writ mcp proxy` uses it: loaded only when that command runs, so the
 * other commands start without the MCP SDK. It is an optional peer of `@writ/cli`; when
 * it is missing the command stops with `DEPENDENCY_MISSING` (exit 3).
 */
import type { CompiledPolicy, Gate } from '@writ/core'
import { CliError } from './cli-error.js'

/** An upstream client the command closes when it is done. */
export interface McpUpstream {
  close(): Promise<void>
  onclose?: (() => void) | undefined
}

/** What the command uses of `@writ/mcp`. */
export interface McpPackage {
  connectUpstream(
    location:
      | { readonly command: string; readonly args: readonly string[] }
      | { readonly url: string },
  ): Promise<McpUpstream>
  createMcpProxy(options: Record<string, unknown> & { gate: Gate; upstream: McpUpstream }): {
    serveStdio(): Promise<{ onclose?: (() => void) | undefined }>
    listen(host: string, port: number): Promise<{ readonly url: string; close(): Promise<void> }>
  }
  filePins(path: string, options: { readonly locked: boolean }): unknown
  permittableBy(policy: CompiledPolicy): (action: string) => boolean
}

// A specifier in a variable: the CLI compiles without `@writ/mcp` installed or built.
const MCP_PACKAGE = '@writ/mcp'

/** Imports `@writ/mcp`, or throws `DEPENDENCY_MISSING` naming what to install. */
export async function loadMcpPackage(): Promise<McpPackage> {
  try {
    return (await import(MCP_PACKAGE)) as McpPackage
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new CliError(
      'DEPENDENCY_MISSING',
      'writ mcp proxy needs @writ/mcp, which is not installed: run npm install @writ/mcp',
      { cause: error, details: { missing: MCP_PACKAGE, install: [MCP_PACKAGE] } },
    )
  }
}
