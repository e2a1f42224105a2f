/**
 * The tool catalogue `writ policy lint --tools` reads: each tool's name and the JSON
 * Schema of its arguments, from OpenAI function definitions (Chat Completions or
 * Responses shape), an MCP `tools/list` result (or the whole JSON-RPC response), or a
 * plain `{ name: schema }` object such as `z.toJSONSchema` output collected by name.
 */
import { CliError } from '../cli-error.js'

/** A JSON Schema, as far as the linter reads one. */
export interface JsonSchema {
  readonly type?: string | readonly string[]
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly items?: JsonSchema
  readonly minimum?: number
  readonly exclusiveMinimum?: number | boolean
  readonly additionalProperties?: boolean | JsonSchema
}

/** Tool name → the schema of its arguments. */
export type ToolCatalogue = ReadonlyMap<string, JsonSchema>

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function fromEntry(entry: unknown): [string, JsonSchema] | undefined {
  if (!isObject(entry)) return undefined
  const inner = isObject(entry['function']) ? entry['function'] : entry
  const name = inner['name']
  const schema = inner['parameters'] ?? inner['inputSchema'] ?? inner['input_schema'] ?? {}
  if (typeof name !== 'string' || !isObject(schema)) return undefined
  return [name, schema as JsonSchema]
}

function fromList(list: readonly unknown[], file: string): ToolCatalogue {
  const tools = new Map<string, JsonSchema>()
  list.forEach((entry, index) => {
    const tool = fromEntry(entry)
    if (tool === undefined)
      throw new CliError('TOOLS_INVALID', `${file}: tool ${index + 1} has no name or schema`)
    tools.set(...tool)
  })
  return tools
}

/** Reads a catalogue from parsed JSON. Throws `CASES_INVALID` when no shape fits. */
export function readToolCatalogue(value: unknown, file: string): ToolCatalogue {
  if (Array.isArray(value)) return fromList(value, file)
  if (isObject(value)) {
    const result = isObject(value['result']) ? value['result'] : value
    if (Array.isArray(result['tools'])) return fromList(result['tools'], file)
    const tools = new Map<string, JsonSchema>()
    for (const [name, schema] of Object.entries(value)) {
      if (!isObject(schema))
        throw new CliError('TOOLS_INVALID', `${file}: tool "${name}" has no schema object`)
      tools.set(name, schema as JsonSchema)
    }
    return tools
  }
  throw new CliError(
    'TOOLS_INVALID',
    `${file}: expected OpenAI function definitions, an MCP tools/list result or { name: schema }`,
  )
}
