/**
 * The operator's commands for policy changes: `writ shadow report` (what a shadow
 * candidate disagreed on), `writ policy replay` (what a candidate would have decided on
 * recorded history) and `writ stats` (decision rates around a policy change).
 */
import { decisionRates, recordedDecisions, replayDecisions, shadowReport } from '@writ/core'
import { WritError } from '@writ/verify'
import { CliError, usageError } from '../cli-error.js'
import { booleanFlag, type Command, jsonLine, requiredFlag, stringFlag } from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { resolvePath } from '../files.js'
import { loadPolicy } from '../inputs.js'
import type { CliIo } from '../io.js'
import { ratesTable, timeFlag, transitionTable } from '../policy-ops-format.js'
import {
  type ExistingStore,
  openExistingStore,
  requireStoreLocation,
  STORE_FLAGS,
} from '../store.js'

async function withStore<T>(
  input: Parameters<Command['run']>[0],
  io: CliIo,
  work: (opened: ExistingStore) => Promise<T>,
): Promise<T> {
  const opened = await openExistingStore(io, requireStoreLocation(input, io))
  try {
    if (opened.store.records === undefined)
      throw new WritError('STORE_UNAVAILABLE', 'This store keeps no policy-operations records.')
    return await work(opened)
  } finally {
    await opened.close()
  }
}

/** `writ shadow report`. */
export const shadowReportCommand: Command = {
  name: 'shadow report',
  summary: 'summarise where a shadow policy disagreed with the enforcing one',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...STORE_FLAGS,
    since: { type: 'string' },
    until: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: writ shadow report (--store DB | --store-url-file FILE | WRIT_STORE_URL)
                          [--since T] [--until T] [--json]

Reads the disagreements that writ serve --shadow FILE (or a gate made with
{ shadow }) recorded in the store, and prints them grouped by old -> new decision
and rule, with up to three example request ids each.

  --store DB       the store: a SQLite file, or a postgres:// URL without a password
  --store-url-file FILE
                   a file (mode 0600) holding the PostgreSQL URL; or set WRIT_STORE_URL
  --since, --until ISO 8601 date or seconds since the epoch (inclusive)
  --json           print { disagreements, candidates, transitions }

Exit codes: 0 no disagreement, 1 at least one, 2 usage error, 3 unreadable store.`,
  async run(input, io) {
    const since = timeFlag(input, 'since')
    const until = timeFlag(input, 'until')
    const range = {
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
    }
    return withStore(input, io, async ({ store }) => {
      const report = await shadowReport(store.records!.disagreements(range))
      if (booleanFlag(input, 'json')) io.stdout(jsonLine(report))
      else {
        io.stdout(
          `${report.disagreements} disagreement(s); candidate ${report.candidates.join(', ') || '(none)'}\n`,
        )
        io.stdout(transitionTable(report.transitions))
      }
      return report.disagreements === 0 ? EXIT_CODES.ok : EXIT_CODES.failed
    })
  },
}

/** `writ policy replay`. */
export const policyReplayCommand: Command = {
  name: 'policy replay',
  summary: 'decide recorded requests again with a candidate policy; exit 1 when any changes',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...STORE_FLAGS,
    policy: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    action: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: writ policy replay (--store DB | --store-url-file FILE | WRIT_STORE_URL)
                          --policy CANDIDATE [--since T] [--until T]
                          [--action GLOB] [--json]

Decides every recorded request again with the CANDIDATE policy, at its original
time, in the order the requests were decided; the candidate's stateful limits are
simulated in that order. Only requests whose arguments the store retained (store
option retention, writ serve --retain) can be replayed; a retained copy that does
not match its receipt's act.args digest is reported and never used.

A candidate that reads the session (history in a condition) is given each
session's history rebuilt from the retained copies in decision order: the
enforced decisions, as the gate and a shadow candidate saw them. Decisions up to
24 hours before --since are read for it. A request whose history cannot be
rebuilt (an earlier decision in its window was not retained, or its copy predates
session retention) is listed as not replayable, with the reason, never guessed.

  --store DB       the store: a SQLite file, or a postgres:// URL without a password
  --store-url-file FILE
                   a file (mode 0600) holding the PostgreSQL URL; or set WRIT_STORE_URL
  --policy CANDIDATE
                   the candidate policy file (YAML or JSON)
  --since, --until ISO 8601 date or seconds since the epoch (inclusive)
  --action GLOB    only these actions (payments.*)
  --json           print the whole report, every change included

Exit codes: 0 nothing changed, 1 a decision changed, a retained copy did not
match its receipt or a request was not replayable, 2 usage error, 3 unreadable
store or policy.`,
  async run(input, io) {
    const candidate = loadPolicy(io, resolvePath(io, requiredFlag(input, 'policy')))
    const since = timeFlag(input, 'since')
    const until = timeFlag(input, 'until')
    const action = stringFlag(input, 'action')
    const options = {
      ...(since === undefined ? {} : { since }),
      ...(until === undefined ? {} : { until }),
      ...(action === undefined ? {} : { action }),
    }
    return withStore(input, io, async ({ store }) => {
      const report = await replayDecisions(store, candidate, options)
      if (booleanFlag(input, 'json')) io.stdout(jsonLine(report))
      else printReplay(io, report)
      if (report.notRetained > 0)
        io.stderr(
          `writ: ${report.notRetained} decision(s) had no retained arguments and were not replayed\n`,
        )
      if (report.notReplayable.length > 0)
        io.stderr(
          `writ: ${report.notReplayable.length} decision(s) could not be replayed: their session history is not retained\n`,
        )
      return report.changed === 0 &&
        report.mismatched.length === 0 &&
        report.notReplayable.length === 0
        ? EXIT_CODES.ok
        : EXIT_CODES.failed
    })
  },
}

function printReplay(io: CliIo, report: Awaited<ReturnType<typeof replayDecisions>>): void {
  io.stdout(
    `replayed ${report.replayed} of ${report.considered} decision(s) with ${report.candidate.id} ${report.candidate.digest}: ${report.changed} changed\n`,
  )
  io.stdout(
    `not retained ${report.notRetained}, refused input ${report.inputInvalid}, from redacted copies ${report.redacted}\n`,
  )
  if (report.mismatched.length > 0)
    io.stdout(
      `retained copies that do not match their receipt (not used): ${report.mismatched.join(', ')}\n`,
    )
  for (const { receipt, reason } of report.notReplayable)
    io.stdout(`not replayable: ${receipt} (${reason})\n`)
  io.stdout(transitionTable(report.transitions))
}

/** `writ stats`. */
export const statsCommand: Command = {
  name: 'stats',
  summary: 'decision rates before and after a policy change; flags rules whose PERMIT rate moved',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...STORE_FLAGS,
    by: { type: 'string' },
    around: { type: 'string' },
    threshold: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `Usage: writ stats (--store DB | --store-url-file FILE | WRIT_STORE_URL)
                  [--by rule|action] [--around DIGEST] [--threshold N] [--json]

Splits the store's decisions at the first one signed under policy DIGEST (the
newest policy by default) and prints, per rule (or action), the share of
decisions that were PERMITs by it before and after. A group whose share moved by
more than the threshold is flagged.

  --store DB         the store: a SQLite file, or a postgres:// URL without a password
  --store-url-file FILE
                     a file (mode 0600) holding the PostgreSQL URL; or set WRIT_STORE_URL
  --by rule|action   group by the deciding rule (default) or the action
  --around DIGEST    the policy digest (sha256:...) whose adoption splits the history
  --threshold N      0 to 1 (default 0.1: ten percentage points)
  --json             print { around, since, threshold, totals, rows }

Exit codes: 0 nothing flagged, 1 a group flagged, 2 usage error, 3 unreadable store.`,
  async run(input, io) {
    const by = stringFlag(input, 'by') ?? 'rule'
    if (by !== 'rule' && by !== 'action') throw usageError('--by takes rule or action')
    const threshold = Number(stringFlag(input, 'threshold') ?? '0.1')
    if (!(threshold >= 0 && threshold <= 1))
      throw usageError('--threshold takes a number from 0 to 1')
    const around = stringFlag(input, 'around')
    return withStore(input, io, async ({ store }) => {
      const decisions = await recordedDecisions(store)
      const rates = decisionRates(decisions, {
        by,
        threshold,
        ...(around === undefined ? {} : { around }),
      })
      if (around !== undefined && rates.since === undefined)
        throw new CliError('IO_ERROR', `no decision in the store was made under ${around}`)
      if (booleanFlag(input, 'json')) io.stdout(jsonLine(rates))
      else io.stdout(ratesTable(rates))
      return rates.rows.some((row) => row.flagged) ? EXIT_CODES.failed : EXIT_CODES.ok
    })
  },
}
