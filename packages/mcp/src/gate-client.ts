import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { gatedTools } from './gated-tools.js'
import { type McpGateOptions, serverNameOf } from './options.js'
import { clientUpstream } from './upstream.js'

/** Options of {@link gateMcpClient}. */
export interface GateMcpClientOptions extends McpGateOptions {
  /**
   * What `callTool` does with a refused call: `'answer'` (default) resolves with the
   * refusal as a tool result (`isError: true`, receipt in `_meta`), as a model would get
   * it; `'throw'` rejects with the `WritError` (`ACTION_REFUSED` carries the decision).
   */
  readonly onRefusal?: 'answer' | 'throw'
}

/** What the gated `callTool` takes: `arguments` may also be the model's raw JSON text. */
export interface GatedCallParams {
  readonly name: string
  /** An object, or the raw JSON text the model produced (duplicate keys are caught only there). */
  readonly arguments?: Readonly<Record<string, unknown>> | string
}

/** A client from {@link gateMcpClient}: `client` whose `callTool` goes through the gate. */
export type GatedMcpClient<C extends Client> = Omit<C, 'callTool'> & {
  callTool(params: GatedCallParams, ...rest: unknown[]): Promise<CallToolResult>
}

/**
 * Gates an SDK `Client` that a program uses directly. The returned client is `client`
 * with three methods replaced: `callTool` decides each call before it is sent and sends
 * only on PERMIT (with the permitted arguments, the receipt in `_meta`); `listTools`
 * lists only the pinned, visible tools; `request` sends `tools/call` through the same
 * gate. Everything else is the client's own. Tool definitions are pinned as in the
 * proxy.
 *
 * @example
 * ```ts
 * const bank = gateMcpClient(client, { gate, server: 'bank' })
 * const result = await bank.callTool({ name: 'transfer', arguments: { to: 'alice', amount: 250 } })
 * ```
 */
export function gateMcpClient<C extends Client>(
  client: C,
  options: GateMcpClientOptions,
): GatedMcpClient<C> {
  const tools = gatedTools(clientUpstream(client), {
    ...options,
    server: serverNameOf(options.server),
  })
  const callTool = async (params: GatedCallParams): Promise<CallToolResult> => {
    const outcome = await tools.call(params.name, params.arguments ?? {})
    if (outcome.refusal !== undefined && options.onRefusal === 'throw') throw outcome.refusal
    return outcome.result
  }
  const replaced: Record<PropertyKey, unknown> = {
    callTool,
    listTools: async () => ({ tools: await tools.list() }),
    request: (request: { method: string; params?: GatedCallParams }, ...rest: unknown[]) =>
      request.method === 'tools/call'
        ? callTool(request.params ?? { name: '' })
        : (client.request as (...args: unknown[]) => unknown)(request, ...rest),
  }
  // The proxy is the client with those methods replaced: its type says so.
  return new Proxy(client, {
    get(target, property, receiver) {
      if (Object.hasOwn(replaced, property)) return replaced[property]
      const value = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as unknown as GatedMcpClient<C>
}
