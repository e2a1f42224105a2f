import { z } from 'zod'

/** Rule, limit and policy ids: ASCII `[A-Za-z0-9_.:-]`, 1 to 128 characters. */
export const POLICY_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/

/** Reason codes: an upper-case letter, then up to 63 of `[A-Z0-9_]`. */
export const REASON_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/

/**
 * Action patterns: action-name characters plus `*` (any characters but `.`) and `**`
 * (any characters); never three stars in a row.
 */
export const ACTION_PATTERN_PATTERN = /^(?!.*\*\*\*)[A-Za-z0-9_.:*-]{1,128}$/

/** Limit windows: a positive integer and a unit, `s`, `m`, `h` or `d` (e.g. `24h`). */
export const WINDOW_PATTERN = /^[1-9][0-9]{0,8}[smhd]$/

/** The most characters a CEL expression (`when`, `sum`) may have. */
export const MAX_EXPRESSION_LENGTH = 4096

/** The most rules, and separately the most limits, one policy may have. */
export const MAX_RULES = 100_000

const id = z.string().regex(POLICY_ID_PATTERN, 'must match [A-Za-z0-9_.:-]{1,128}')
const reason = z.string().regex(REASON_PATTERN, 'must match [A-Z][A-Z0-9_]{0,63}')
const description = z.string().max(4096)
const expression = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_EXPRESSION_LENGTH, `must be at most ${MAX_EXPRESSION_LENGTH} characters`)
const actions = z
  .array(
    z
      .string()
      .regex(
        ACTION_PATTERN_PATTERN,
        'must be an action name or glob: [A-Za-z0-9_.:-] with * or **, 1 to 128 characters',
      ),
  )
  .min(1, 'must list at least one action')
  .max(1024)

/** Approver group ids (an `approve` rule's `approvers`): `[A-Za-z0-9_.:@-]`, 1 to 128 characters. */
export const GROUP_ID_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/

/** The most approvals a quorum may ask for. */
export const MAX_QUORUM = 16

/** How long a hold stays open when its rule names no `ttl`: 15 minutes, in seconds. */
export const DEFAULT_HOLD_TTL_SECONDS = 900

/** The longest a hold may stay open: 24 hours, in seconds. */
export const MAX_HOLD_TTL_SECONDS = 86_400

/** What a rule tag looks like: a short lower-case identifier. */
export const TAG_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/

/** The most tags one rule may attach to its decisions. */
export const MAX_RULE_TAGS = 8

/**
 * A rule: when it applies (`actions`) and holds (`when`), it permits, denies, or holds the
 * action for approval (`effect: approve`, with `approvers`, `quorum` and `ttl`).
 */
export const ruleSchema = z
  .strictObject({
    id,
    effect: z.enum(['permit', 'deny', 'approve']),
    actions,
    when: expression.optional(),
    reason: reason.optional(),
    description: description.optional(),
    tags: z
      .array(z.string().regex(TAG_PATTERN, 'must match [a-z][a-z0-9_-]{0,31}'))
      .max(MAX_RULE_TAGS)
      .optional(),
    approvers: z.string().regex(GROUP_ID_PATTERN, 'must match [A-Za-z0-9_.:@-]{1,128}').optional(),
    quorum: z.number().int().min(1).max(MAX_QUORUM).optional(),
    ttl: z
      .string()
      .regex(WINDOW_PATTERN, 'must be a positive integer followed by s, m, h or d (e.g. 15m)')
      .refine((ttl) => windowSeconds(ttl) <= MAX_HOLD_TTL_SECONDS, 'must be at most 24h')
      .optional(),
  })
  .superRefine((rule, context) => {
    const approve = rule.effect === 'approve'
    if (approve && rule.approvers === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: 'an approve rule needs `approvers` (a group of the authority)',
      })
    }
    if (!approve) {
      for (const member of ['approvers', 'quorum', 'ttl'] as const) {
        if (rule[member] !== undefined) {
          context.addIssue({
            code: 'custom',
            path: [member],
            message: `\`${member}\` is only for rules with effect approve`,
          })
        }
      }
    }
  })

/** A stateful limit, checked atomically by the store when the decision would be PERMIT. */
export const limitSchema = z
  .strictObject({
    id,
    actions,
    when: expression.optional(),
    per: z.enum(['agent', 'session', 'global']),
    window: z
      .string()
      .regex(WINDOW_PATTERN, 'must be a positive integer followed by s, m, h or d (e.g. 24h)'),
    sum: expression.optional(),
    count: z.literal(true).optional(),
    max: z.number().finite().nonnegative(),
    reason: reason.optional(),
    description: description.optional(),
  })
  .refine((limit) => (limit.sum === undefined) !== (limit.count === undefined), {
    message: 'needs exactly one of `sum` (a CEL expression) or `count: true`',
    path: ['sum'],
  })

/** The most self-tests (`tests:`) one policy may carry. */
export const MAX_POLICY_TESTS = 1000

const jsonObject = z.record(z.string(), z.unknown())

/** A start-up self-test: a request and the decision the policy must reach for it. */
export const policyTestSchema = z.strictObject({
  name: z.string().min(1, 'must not be empty').max(256),
  action: z.string().min(1, 'must not be empty').max(1024),
  args: jsonObject.optional(),
  agent: z.string().min(1).max(1024).optional(),
  context: jsonObject.optional(),
  audience: z.string().min(1).max(1024).nullable().optional(),
  session: z.string().min(1).max(256).optional(),
  now: z
    .union([
      z.number().int().nonnegative(),
      z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO 8601 date'),
    ])
    .optional(),
  expect: z.strictObject({
    decision: z.enum(['PERMIT', 'DENY', 'SILENCE']),
    rule: z.string().nullable().optional(),
    reason: z.string().optional(),
  }),
})

/** A Writ policy document (RECEIPT-SPEC section 9 plus limits). Unknown members are errors. */
export const policyDocumentSchema = z
  .strictObject({
    writ: z.literal(1),
    id,
    description: description.optional(),
    rules: z.array(ruleSchema).max(MAX_RULES),
    limits: z.array(limitSchema).max(MAX_RULES).optional(),
    tests: z.array(policyTestSchema).max(MAX_POLICY_TESTS).optional(),
  })
  .superRefine((document, context) => {
    const names = new Set<string>()
    document.tests?.forEach((test, index) => {
      if (names.has(test.name))
        context.addIssue({
          code: 'custom',
          path: ['tests', index, 'name'],
          message: `duplicate test name "${test.name}"`,
        })
      names.add(test.name)
    })
  })

/**
 * A rule of a {@link PolicyDocument}: when it applies (`actions`) and holds (`when`), it
 * permits, denies, or holds the action for approval.
 */
export interface PolicyRule {
  readonly id: string
  readonly effect: 'permit' | 'deny' | 'approve'
  /** Action names or globs (`*`: any characters but `.`; `**`: any characters). */
  readonly actions: readonly string[]
  /** A CEL condition; the rule holds when it is true (always, when absent). */
  readonly when?: string | undefined
  readonly reason?: string | undefined
  readonly description?: string | undefined
  /**
   * Short identifiers (`[a-z][a-z0-9_-]{0,31}`, at most 8) attached to the decisions this
   * rule makes; later requests of the same session see them in `history[i].tags`.
   */
  readonly tags?: readonly string[] | undefined
  /** For `effect: approve`: the approver group (defined by the authority, never the request). */
  readonly approvers?: string | undefined
  /** For `effect: approve`: how many distinct approvers must approve (default 1). */
  readonly quorum?: number | undefined
  /** For `effect: approve`: how long the hold stays open, e.g. `15m` (default), at most `24h`. */
  readonly ttl?: string | undefined
}

/** A limit of a {@link PolicyDocument}, checked atomically by the store when the decision would be PERMIT. */
export interface PolicyLimit {
  readonly id: string
  readonly actions: readonly string[]
  readonly when?: string | undefined
  /**
   * Counted per agent, per session (the request's `session`, set by the application or
   * the authority, never by the model; a request without one is refused by the limit
   * with `SESSION_REQUIRED`), or once for all.
   */
  readonly per: 'agent' | 'session' | 'global'
  /** The rolling window, e.g. `24h`. */
  readonly window: string
  /** A CEL expression for what each request adds (exactly one of `sum` and `count`). */
  readonly sum?: string | undefined
  /** Each request adds one. */
  readonly count?: true | undefined
  readonly max: number
  readonly reason?: string | undefined
  readonly description?: string | undefined
}

/**
 * A start-up self-test of a {@link PolicyDocument} (`tests:`): a request and what the
 * policy must decide for it. Every test runs whenever the policy is compiled.
 */
export interface PolicyTest {
  /** Names the test in `POLICY_SELF_TEST_FAILED`; unique within the policy. */
  readonly name: string
  readonly action: string
  /** The arguments (default `{}`). */
  readonly args?: Readonly<Record<string, unknown>> | undefined
  /** The agent (default `anonymous`, as the gate's). */
  readonly agent?: string | undefined
  readonly context?: Readonly<Record<string, unknown>> | undefined
  readonly audience?: string | null | undefined
  /** The session, for `per: session` limits (default: none). */
  readonly session?: string | undefined
  /** Decision time: whole seconds since the epoch or an ISO 8601 date (default: the time of loading). */
  readonly now?: number | string | undefined
  /** The decision expected; `rule` (null: no rule) and `reason` are compared when given. */
  readonly expect: {
    readonly decision: 'PERMIT' | 'DENY' | 'SILENCE'
    readonly rule?: string | null | undefined
    readonly reason?: string | undefined
  }
}

/** A validated Writ policy document (RECEIPT-SPEC section 9 plus limits), frozen. */
export interface PolicyDocument {
  readonly writ: 1
  readonly id: string
  readonly description?: string | undefined
  readonly rules: readonly PolicyRule[]
  readonly limits?: readonly PolicyLimit[] | undefined
  /** Start-up self-tests, run whenever the policy is compiled or given to a gate. */
  readonly tests?: readonly PolicyTest[] | undefined
}

const windowUnits: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** Seconds in a window such as `24h`. The window must already match {@link WINDOW_PATTERN}. */
export function windowSeconds(window: string): number {
  const unit = windowUnits[window.slice(-1)] ?? Number.NaN
  return Number.parseInt(window.slice(0, -1), 10) * unit
}
