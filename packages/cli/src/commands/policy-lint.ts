/**
 * `writ policy lint FILE [--tools TOOLS]`: static checks of a policy, alone or against
 * the tool catalogue (see docs/policy-lint.md).
 */
import { parseJson } from '@writ/verify/internal'
import { CliError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, positional, stringFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { readTextFile } from '../files.js'
import type { CliIo } from '../io.js'
import { type LintFinding, lintPolicy } from '../policy-lint/lint.js'
import { readToolCatalogue, type ToolCatalogue } from '../policy-lint/tools.js'

function readTools(io: CliIo, file: string | undefined): ToolCatalogue | undefined {
  if (file === undefined) return undefined
  let value: unknown
  try {
    value = parseJson(readTextFile(io, file, 'tools file'))
  } catch (cause) {
    if (cause instanceof CliError) throw cause
    throw new CliError('TOOLS_INVALID', `${file}: not JSON: ${(cause as Error).message}`, { cause })
  }
  return readToolCatalogue(value, file)
}

function line(found: LintFinding): string {
  const rule = found.rule === undefined ? '' : ` [${found.rule}]`
  const suppressed = found.suppressed === undefined ? '' : ` (suppressed: ${found.suppressed})`
  return `${found.file}:${found.line}:${found.column}: ${found.severity} ${found.code} ${found.name}${rule}: ${found.message}${suppressed}\n`
}

/** `writ policy lint`. */
export const policyLintCommand: Command = {
  name: 'policy lint',
  summary: 'find policy mistakes: unknown fields, unbounded amounts, unreachable rules',
  positionals: { min: 1, max: 1, names: 'FILE' },
  options: { tools: { type: 'string' }, json: { type: 'boolean' } },
  help: `Usage: writ policy lint FILE [--tools TOOLS] [--json]

Checks a policy without running it. Alone: invalid documents (WL001), failing
self-tests (WL002), permits on ** (WL303), rules a broader unconditional deny
always overrides (WL302), limits no permit covers (WL401). With TOOLS, the tool
catalogue as JSON Schema (OpenAI function definitions, an MCP tools/list result,
or { name: schema } from z.toJSONSchema), also: fields a tool does not have
(WL101), a field compared with a value of another type (WL102), optional fields
read without has() (WL103), permits capping a numeric field the schema allows to
be negative from above only (WL201), action patterns no tool matches (WL301).

Each finding prints as FILE:LINE:COL: SEVERITY CODE NAME [RULE]: MESSAGE. A comment
"# writ-lint-ignore CODE: reason" before (or inside) a rule or limit suppresses
that code there; the reason is required. See docs/policy-lint.md.

  --tools TOOLS  the tool catalogue (JSON)
  --json         print { errors, warnings, findings: [...] }

Exit codes: 0 no error (warnings allowed), 1 an error that is not suppressed,
2 usage error, 3 unreadable file or invalid tools file.`,
  async run(input, io) {
    const file = positional(input, 0)
    const tools = readTools(io, stringFlag(input, 'tools'))
    const findings = lintPolicy(readTextFile(io, file, 'policy file'), file, tools)
    const active = findings.filter((found) => found.suppressed === undefined)
    const errors = active.filter((found) => found.severity === 'error').length
    const warnings = active.length - errors
    if (booleanFlag(input, 'json')) io.stdout(jsonLine({ errors, warnings, findings }))
    else {
      for (const found of findings) io.stdout(line(found))
      io.stdout(`${file}: ${errors} error(s), ${warnings} warning(s)\n`)
    }
    return errors === 0 ? EXIT_CODES.ok : EXIT_CODES.failed
  },
}
