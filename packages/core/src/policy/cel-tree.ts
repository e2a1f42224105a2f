/**
 * The syntax tree of a CEL expression, for tools that read conditions without running
 * them (`writ policy lint`). Nodes are `{ op, args, start }` as cel-js builds them.
 */
import { Environment } from '@marcbachmann/cel-js'
import { CONDITION_VARIABLES } from './cel.js'

let parser: Environment | undefined

/**
 * Parses a condition and returns its syntax tree, or throws when it is not valid CEL.
 * No limits are checked and nothing is evaluated; use `compilePolicy` for that.
 */
export function parseExpressionTree(source: string): unknown {
  parser ??= CONDITION_VARIABLES.reduce(
    (environment, name) => environment.registerVariable(name, 'dyn'),
    new Environment(),
  )
  return parser.parse(source).ast
}
