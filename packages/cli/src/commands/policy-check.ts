/**
 * `writ policy check FILE`: is this policy valid? Prints its id and digest, or every
 * problem with its location.
 */
import { WritError } from '@writ/verify'
import { booleanFlag, type Command, jsonLine, positional } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { loadPolicy } from '../inputs.js'
import { policyProblems, policyWarnings } from '../policy-problems.js'

/** `writ policy check`. */
export const policyCheckCommand: Command = {
  name: 'policy check',
  summary: 'validate a policy; print its id and digest',
  positionals: { min: 1, max: 1, names: 'FILE' },
  options: { json: { type: 'boolean' } },
  help: `Usage: writ policy check FILE [--json]

Loads and compiles a policy (YAML 1.2 or JSON): schema, unknown members, rule ids,
action patterns, CEL conditions. Prints the policy id and its digest (the
policy.digest every receipt under it will carry), or each problem located by
file, line, rule id and path.

A valid policy may still carry warnings, printed to stderr as \`writ: warning: …\`:
patterns whose cost grows faster than the arguments (a comprehension nested in
another over argument lists, \`in\` over an argument list inside a comprehension).
Such a condition is bounded at evaluation (it fails as EVAL_ERROR past its budget),
but a large request may then be refused; prefer a linear form.

  --json  print { valid, id?, digest?, warnings?, code?, problems? }

Exit codes: 0 valid, 1 invalid (POLICY_INVALID or POLICY_UNSAFE), 2 usage error,
3 unreadable file.`,
  async run(input, io) {
    const file = positional(input, 0)
    const json = booleanFlag(input, 'json')
    try {
      const policy = loadPolicy(io, file)
      const warnings = policyWarnings(policy.warnings, file)
      if (json) io.stdout(jsonLine({ valid: true, id: policy.id, digest: policy.digest, warnings }))
      else io.stdout(`OK ${policy.id} ${policy.digest}\n`)
      for (const warning of warnings)
        io.stderr(`writ: warning: ${warning.location}: ${warning.message}\n`)
      return EXIT_CODES.ok
    } catch (error) {
      if (
        !WritError.isInstance(error) ||
        (error.code !== 'POLICY_INVALID' && error.code !== 'POLICY_UNSAFE')
      )
        throw error
      const problems = policyProblems(error, file)
      if (json) io.stdout(jsonLine({ valid: false, code: error.code, problems }))
      for (const problem of problems)
        io.stderr(`writ: ${error.code}: ${problem.location}: ${problem.message}\n`)
      return EXIT_CODES.failed
    }
  },
}
