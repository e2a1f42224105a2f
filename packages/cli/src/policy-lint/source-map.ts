/** From a path in the policy document (and an offset in an expression) to `line:col`. */
import { isScalar, LineCounter, parseDocument, type Scalar } from 'yaml'

/** Locates findings in one policy text. */
export interface Locator {
  readonly file: string
  /** Line and column of the node at `path`, or of its nearest parent that exists. */
  at(path: readonly (string | number)[]): { line: number; column: number }
  /** Line and column of `offset` within the expression at `path` (the node itself without one). */
  inExpression(
    path: readonly (string | number)[],
    offset?: number,
  ): { line: number; column: number }
}

function blockOffset(text: string, range: readonly number[], offset: number): number {
  let position = text.indexOf('\n', range[0]) + 1
  let left = offset
  while (position > 0 && position < (range[1] ?? text.length)) {
    const end = text.indexOf('\n', position)
    const line = text.slice(position, end === -1 ? text.length : end)
    const indent = line.length - line.trimStart().length
    const length = line.length - indent
    if (left <= length) return position + indent + left
    left -= length + 1
    position = end + 1
  }
  return range[0] ?? 0
}

/** Builds the locator of a policy text (YAML or JSON). */
export function createLocator(text: string, file: string): Locator {
  const counter = new LineCounter()
  const document = parseDocument(text, { lineCounter: counter })
  const nodeAt = (path: readonly (string | number)[]) => {
    for (let length = path.length; length >= 0; length--) {
      const node = document.getIn(path.slice(0, length), true) as { range?: number[] } | undefined
      if (node?.range !== undefined) return node
    }
    return undefined
  }
  const position = (offset: number) => {
    const { line, col } = counter.linePos(offset)
    return { line, column: col }
  }
  return {
    file,
    at: (path) => {
      const node = nodeAt(path)
      return node?.range === undefined ? { line: 1, column: 1 } : position(node.range[0] ?? 0)
    },
    inExpression: (path, offset) => {
      const node = nodeAt(path)
      if (node?.range === undefined) return { line: 1, column: 1 }
      const start = node.range[0] ?? 0
      if (offset === undefined || !isScalar(node)) return position(start)
      const type = (node as Scalar).type
      if (type === 'BLOCK_FOLDED' || type === 'BLOCK_LITERAL')
        return position(blockOffset(text, node.range, offset))
      const quoted = type === 'QUOTE_DOUBLE' || type === 'QUOTE_SINGLE' ? 1 : 0
      const source = text.slice(start, node.range[1])
      return source.includes('\n') ? position(start) : position(start + quoted + offset)
    },
  }
}
