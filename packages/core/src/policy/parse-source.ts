import { type JsonValue, WritError } from '@writ/verify'
import { parseJson } from '@writ/verify/internal'
import { type Document, isNode, isScalar, LineCounter, parseDocument, visit } from 'yaml'
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
export function detectFormat(
  source: string | undefined,
  format: PolicyFormat | undefined,
): PolicyFormat {
  if (format !== undefined) return format
  return source?.toLowerCase().endsWith('.json') ? 'json' : 'yaml'
}

/**
 * Reads a policy text as YAML 1.2 (core schema) or strict JSON into the JSON data model.
 * Refuses duplicate keys, aliases and merge keys, explicit non-core tags, non-string
 * keys, and values JSON cannot hold (non-finite numbers).
 */
export function parseSource(text: string, format: PolicyFormat): ParsedSource {
  if (text.length > MAX_POLICY_TEXT_LENGTH) {
    const message = `policy text exceeds ${MAX_POLICY_TEXT_LENGTH} characters`
    return unread([{ path: '', message }])
  }
  if (format === 'json') return parseJsonSource(text)
  return parseYamlSource(text)
}

const noLocation = () => undefined

function unread(problems: PolicyProblem[]): ParsedSource {
  return { model: undefined, problems, locate: noLocation }
}

type Position = { line: number; column: number }

function parseYamlSource(text: string): ParsedSource {
  const lineCounter = new LineCounter()
  const document = parseDocument(text, {
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    lineCounter,
  })
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset)
    return { line, column: col }
  }
  const problems: PolicyProblem[] = [...document.errors, ...document.warnings].map((issue) => ({
    path: '',
    message: issue.message.split('\n')[0] ?? issue.code,
    ...position(issue.pos[0]),
  }))
  if (problems.length > 0) return unread(problems)
  problems.push(...yamlShapeProblems(document, position))
  if (problems.length > 0) return unread(problems)
  const model: unknown = document.toJS({ maxAliasCount: 0 })
  const locate = (path: readonly PropertyKey[]) => locateIn(document, path, position)
  checkJsonModel(model, [], problems, locate)
  return { model: problems.length === 0 ? (model as JsonValue) : undefined, problems, locate }
}

/** Aliases and keys that are not strings: YAML a policy may not use. */
function yamlShapeProblems(
  document: Document,
  position: (offset: number) => Position,
): PolicyProblem[] {
  const problems: PolicyProblem[] = []
  const locateNode = (node: unknown): Partial<Position> =>
    isNode(node) && node.range !== undefined && node.range !== null ? position(node.range[0]) : {}
  visit(document, {
    Alias(_key, node) {
      const message = 'YAML aliases are not allowed in a policy'
      problems.push({ path: '', message, ...locateNode(node) })
    },
    Pair(_key, pair) {
      if (!isScalar(pair.key) || typeof pair.key.value !== 'string') {
        problems.push({
          path: '',
          message: 'mapping keys must be strings',
          ...locateNode(pair.key),
        })
      }
    },
  })
  return problems
}

/** The position of the node at `path`, or of its nearest existing parent. */
function locateIn(
  document: Document,
  path: readonly PropertyKey[],
  position: (offset: number) => Position,
): Position | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = document.getIn(path.slice(0, length) as unknown[], true)
    if (isNode(node) && node.range) return position(node.range[0])
    if (length === 0 && document.contents && isNode(document.contents) && document.contents.range) {
      return position(document.contents.range[0])
    }
  }
  return undefined
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
    value.forEach((item, index) => {
      checkJsonModel(item, [...path, index], problems, locate)
    })
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

/** JSON is read with Writ's strict parser (duplicates, forbidden keys, I-JSON numbers refused). */
function parseJsonSource(text: string): ParsedSource {
  const positionOf = (offset: number) => {
    let line = 1
    let lineStart = 0
    for (let index = 0; index < offset && index < text.length; index++) {
      if (text.charCodeAt(index) === 10) {
        line++
        lineStart = index + 1
      }
    }
    return { line, column: offset - lineStart + 1 }
  }
  let model: JsonValue
  try {
    model = parseJson(text, { maxBytes: MAX_POLICY_TEXT_LENGTH * 4, maxDepth: 64 })
  } catch (error) {
    if (!WritError.isInstance(error)) throw error
    const pointer =
      typeof error.details?.['path'] === 'string' ? (error.details['path'] as string) : ''
    const offset = error.details?.['offset']
    const segments = pointer
      .split('/')
      .slice(1)
      .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'))
      .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment))
    const problem: PolicyProblem = {
      path: formatPath(segments),
      message: `invalid JSON (${error.code}): ${error.message}`,
      ...(typeof offset === 'number' ? positionOf(offset) : {}),
    }
    return { model: undefined, problems: [problem], locate: () => undefined }
  }
  // Positions are only needed to report a problem: parse for them lazily, with the YAML
  // parser (JSON is YAML 1.2), which keeps node ranges.
  let located: ParsedSource['locate'] | undefined
  const locate: ParsedSource['locate'] = (path) => {
    located ??= parseSource(text, 'yaml').locate
    return located(path)
  }
  return { model, problems: [], locate }
}
