import type { JsonValue } from '@writ/verify'
import { isNode, isScalar, LineCounter, parseDocument, visit } from 'yaml'
import { formatPath, type PolicyProblem } from './policy-problem.js'

/** The formats a policy can be written in. */
export type PolicyFormat = 'yaml' | 'json'

/** The most characters a policy text may have (8 MiB). */
export const MAX_POLICY_TEXT_LENGTH = 8 * 1024 * 1024

/** A policy text read into the JSON data model, with a way back to line and column. */
export interface ParsedSource {
  /** The document as JSON data, when it could be read. */
  readonly model: JsonValue | undefined
  /** Problems found while reading (syntax, duplicate keys, aliases, non-JSON values). */
  readonly problems: PolicyProblem[]
  /** 1-based line and column of the node at `path` (or its nearest existing parent). */
  locate(path: readonly PropertyKey[]): { line: number; column: number } | undefined
}

/** Picks the format: explicit, else from the file name (`.json`), else YAML. */
export function detectFormat(source: string | undefined, format: PolicyFormat | undefined): PolicyFormat {
  if (format !== undefined) return format
  return source !== undefined && source.toLowerCase().endsWith('.json') ? 'json' : 'yaml'
}

/**
 * Reads a policy text as YAML 1.2 (core schema) or strict JSON into the JSON data model.
 * Refuses duplicate keys, aliases and merge keys, explicit non-core tags, non-string
 * keys, and values JSON cannot hold (non-finite numbers).
 */
export function parseSource(text: string, format: PolicyFormat): ParsedSource {
  const problems: PolicyProblem[] = []
  const lineCounter = new LineCounter()
  const noLocation = () => undefined
  if (text.length > MAX_POLICY_TEXT_LENGTH) {
    problems.push({ path: '', message: `policy text exceeds ${MAX_POLICY_TEXT_LENGTH} characters` })
    return { model: undefined, problems, locate: noLocation }
  }

  let jsonModel: unknown
  if (format === 'json') {
    try {
      jsonModel = JSON.parse(text)
    } catch (error) {
      problems.push({ path: '', message: `invalid JSON: ${(error as Error).message}` })
      return { model: undefined, problems, locate: noLocation }
    }
  }

  // JSON is YAML 1.2; reading JSON through the YAML parser too gives duplicate-key
  // detection and line/column positions with one code path.
  const document = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    lineCounter,
  })
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  for (const issue of [...document.errors, ...document.warnings]) {
    problems.push({ path: '', message: issue.message.split('\n')[0] ?? issue.code, ...position(issue.pos[0]) })
  }
  if (problems.length > 0) return { model: undefined, problems, locate: noLocation }

  visit(document, {
    Alias(_key, node) {
      problems.push({ path: '', message: 'YAML aliases are not allowed in a policy', ...locateNode(node) })
    },
    Pair(_key, pair) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
        problems.push({ path: '', message: 'mapping keys must be strings', ...locateNode(pair.key) })
      }
    },
  })
  function locateNode(node: unknown): { line?: number; column?: number } {
    if (isNode(node) && node.range !== undefined && node.range !== null) return position(node.range[0])
    return {}
  }
  if (problems.length > 0) return { model: undefined, problems, locate: noLocation }

  const model = format === 'json' ? jsonModel : document.toJS({ maxAliasCount: 0 })
  const locate = (path: readonly PropertyKey[]) => {
    for (let length = path.length; length >= 0; length--) {
      const node = document.getIn(path.slice(0, length) as unknown[], true)
      if (isNode(node) && node.range) return position(node.range[0])
      if (length === 0 && document.contents && isNode(document.contents) && document.contents.range) {
        return position(document.contents.range[0])
      }
    }
    return undefined
  }
  checkJsonModel(model, [], problems, locate)
  return { model: problems.length === 0 ? (model as JsonValue) : undefined, problems, locate }
}

function checkJsonModel(
  value: unknown,
  path: PropertyKey[],
  problems: PolicyProblem[],
  locate: ParsedSource['locate'],
): void {
  const fail = (message: string) => {
    const where = locate(path)
    problems.push({ path: formatPath(path), message, ...(where ?? {}) })
  }
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail('numbers must be finite')
    return
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => checkJsonModel(item, [...path, index], problems, locate))
    return
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const key of Object.keys(value)) {
      checkJsonModel((value as Record<string, unknown>)[key], [...path, key], problems, locate)
    }
    return
  }
  fail('value is not JSON data')
}
