/**
 * `writ policy explain FILE --action NAME --args JSON`: every rule and limit of the
 * policy for one input (applies, holds, errored) and the decision that results.
 */
import { type CompiledPolicy, DEFAULT_AGENT } from '@writ/core'
import { canonicalArgs, validateActionName, WritError } from '@writ/verify'
import { usageError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, positional, stringFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { loadPolicy, requestFlags } from '../inputs.js'
import type { CliIo } from '../io.js'

type PolicyExplanation = ReturnType<CompiledPolicy['explain']>

function nowFlag(value: string | undefined): number {
  if (value === undefined) return Math.floor(Date.now() / 1000)
  if (/^[0-9]{1,12}$/.test(value)) return Number(value)
  const time = Date.parse(value)
  if (Number.isNaN(time))
    throw usageError('--now must be an ISO 8601 date or whole seconds since the epoch')
  return Math.floor(time / 1000)
}

function state(applies: boolean, holds: boolean | null, error: string | null): string {
  if (!applies) return 'does not apply'
  if (error !== null) return `ERROR: ${error}`
  return holds === true ? 'holds' : 'does not hold'
}

/** `writ policy explain`. */
export const policyExplainCommand: Command = {
  name: 'policy explain',
  summary: 'show which rules apply, hold or error for one action, and the decision',
  positionals: { min: 1, max: 1, names: 'FILE' },
  options: {
    action: { type: 'string' },
    args: { type: 'string' },
    agent: { type: 'string' },
    context: { type: 'string' },
    now: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: writ policy explain FILE --action NAME --args JSON|@FILE [--agent ID]
                          [--context JSON|@FILE] [--now TIME] [--json]

Evaluates every rule and limit of the policy for one action and prints, for each,
whether it applies (an action pattern matches), holds (its condition is true) or
errored, then the decision, rule and reason a gate would sign. Nothing is signed
or stored. Limits are shown as they would be checked; their current usage lives
in a store, so an explained PERMIT may still be a LIMIT_EXCEEDED DENY at a gate.

  --action NAME         the action name (required)
  --args JSON|@FILE     the arguments (required); invalid ones are explained as
                        the gate's DENY with reason INPUT_INVALID
  --agent ID            the agent (default ${DEFAULT_AGENT})
  --context JSON|@FILE  extra facts for conditions, a JSON object
  --now TIME            decision time, ISO 8601 or seconds (default: now)
  --json                print { decision, reason, rule, rules, limits, problem? }

Exit codes: 0 explained (whatever the decision), 1 invalid policy, 2 usage error,
3 unreadable file or invalid --context.`,
  async run(input, io) {
    const policy = loadPolicy(io, positional(input, 0))
    const request = requestFlags(io, input)
    const now = nowFlag(stringFlag(input, 'now'))
    const json = booleanFlag(input, 'json')
    let args: ReturnType<typeof canonicalArgs>
    try {
      validateActionName(request.action)
      args = canonicalArgs(request.args)
    } catch (error) {
      if (!WritError.isInstance(error)) throw error
      printInputRefused({ code: error.code, message: error.message }, json, io)
      return EXIT_CODES.ok
    }
    const explanation = policy.explain({
      action: request.action,
      args: args.value,
      agent: request.agent ?? DEFAULT_AGENT,
      context: request.context ?? {},
      now,
    })
    if (json) {
      const { decision, reason, rule } = explanation.evaluation
      io.stdout(
        jsonLine({ decision, reason, rule, rules: explanation.rules, limits: explanation.limits }),
      )
    } else {
      io.stdout(
        `policy ${policy.id} ${policy.digest}\naction ${request.action}  args ${args.digest}\n\n`,
      )
      printExplanation(explanation, io)
    }
    return EXIT_CODES.ok
  },
}

/** The same refusal a gate would sign: the input never reaches the rules. */
function printInputRefused(
  problem: { readonly code: string; readonly message: string },
  json: boolean,
  io: CliIo,
): void {
  if (json) {
    io.stdout(
      jsonLine({
        decision: 'DENY',
        reason: 'INPUT_INVALID',
        rule: null,
        rules: [],
        limits: [],
        problem,
      }),
    )
    return
  }
  io.stdout(`input refused before any rule: ${problem.code}: ${problem.message}\n`)
  io.stdout('decision  DENY  reason INPUT_INVALID  rule (none)\n')
}

/** Each rule and limit as applying, holding or erroring, then the decision. */
function printExplanation(explanation: PolicyExplanation, io: CliIo): void {
  io.stdout('rules:\n')
  if (explanation.rules.length === 0) io.stdout('  (none)\n')
  for (const rule of explanation.rules) {
    io.stdout(
      `  ${rule.effect.padEnd(6)} ${rule.id}: ${state(rule.applies, rule.holds, rule.error)}\n`,
    )
  }
  if (explanation.limits.length > 0) {
    io.stdout('limits:\n')
    for (const limit of explanation.limits) {
      const amount = limit.amount === null ? '' : ` (would add ${limit.amount})`
      io.stdout(`  ${limit.id}: ${state(limit.applies, limit.holds, limit.error)}${amount}\n`)
    }
  }
  const { evaluation } = explanation
  io.stdout(
    `\ndecision  ${evaluation.decision}  reason ${evaluation.reason}  rule ${evaluation.rule ?? '(none)'}\n`,
  )
}
