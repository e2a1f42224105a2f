import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { type Digest, digestOf, isDigest, WritError } from '@writ/verify'
import { canonicalize } from '@writ/verify/internal'

/** The parts of an MCP tool definition that are pinned: what the model reads and what it sends. */
export interface ToolDefinition {
  readonly name: string
  readonly description?: string | undefined
  readonly inputSchema: unknown
}

/**
 * The digest of a tool definition: SHA-256 of the RFC 8785 bytes of
 * `{ name, description, inputSchema }` (`description` is `null` when absent).
 *
 * @throws WritError (an `INPUT_*` code) when the definition is not JSON.
 */
export function definitionDigest(tool: ToolDefinition): Digest {
  const { name, description, inputSchema } = tool
  return digestOf(canonicalize({ name, description: description ?? null, inputSchema }))
}

/** Where pinned tool definitions are kept, by action name. */
export interface ToolPins {
  /** The digest pinned for `action`, or `undefined` when none is. */
  get(action: string): Digest | undefined
  /**
   * Pins `definition` for `action`, first sight only. A store that accepts no new pins
   * (a locked file) throws `TOOL_NOT_PINNED`.
   */
  pin(action: string, digest: Digest, definition: ToolDefinition): void
}

/** Pins kept in memory: each tool is pinned the first time this process sees it. */
export function memoryPins(): ToolPins {
  const pins = new Map<string, Digest>()
  return {
    get: (action) => pins.get(action),
    pin: (action, digest) => void pins.set(action, digest),
  }
}

/** Options of {@link filePins}. */
export interface FilePinsOptions {
  /**
   * `true`: the file is the whole truth, reviewed by an operator; a tool it does not
   * list is refused (`TOOL_NOT_PINNED`) and hidden. `false` (default): a tool seen for
   * the first time is added to the file.
   */
  readonly locked?: boolean
}

interface PinEntry {
  readonly digest: Digest
  readonly tool: string
  readonly description: string | null
}

/**
 * Pins kept in a JSON file, `{ "tools": { "<action>": { "digest", "tool", "description" } } }`,
 * read once when created; new pins are written at once (whole file, replaced atomically).
 * To re-pin a changed tool, delete its entry (or the file) after reviewing the change.
 *
 * @throws WritError `TOOL_NOT_PINNED` when the file exists but is not such a document.
 */
export function filePins(path: string, options: FilePinsOptions = {}): ToolPins {
  const entries = readPinFile(path)
  return {
    get: (action) => (Object.hasOwn(entries, action) ? entries[action]?.digest : undefined),
    pin(action, digest, definition) {
      if (options.locked === true)
        throw new WritError('TOOL_NOT_PINNED', `The tool of ${action} is not in the pin file.`)
      entries[action] = {
        digest,
        tool: definition.name,
        description: definition.description ?? null,
      }
      const temporary = `${path}.${process.pid}.tmp`
      writeFileSync(temporary, `${JSON.stringify({ tools: entries }, null, 2)}\n`, { mode: 0o644 })
      renameSync(temporary, path)
    },
  }
}

function readPinFile(path: string): Record<string, PinEntry> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Object.create(null)
    throw error
  }
  const document = JSON.parse(text) as { tools?: unknown }
  const entries = Object.create(null) as Record<string, PinEntry>
  const tools = document?.tools
  if (typeof tools !== 'object' || tools === null || Array.isArray(tools))
    throw new WritError('TOOL_NOT_PINNED', `${path} is not a pin file: it has no "tools" object.`)
  for (const [action, entry] of Object.entries(tools)) {
    if (!isDigest((entry as { digest?: unknown } | null)?.digest))
      throw new WritError('TOOL_NOT_PINNED', `${path}: the pin of ${action} has no valid digest.`)
    entries[action] = entry as PinEntry
  }
  return entries
}
