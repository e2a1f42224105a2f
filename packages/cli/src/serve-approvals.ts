/**
 * What `writ serve` adds for approvers: the approvals page with passkeys
 * (`--approvals-origin`, `--passkeys`) and the webhook sent when a hold opens
 * (`--approval-webhook`, its signing keys from `--approval-webhook-key-file` or
 * `WRIT_APPROVAL_WEBHOOK_KEY`: never from the command line).
 */
import {
  type ApprovalWebhook,
  type ApproverDirectory,
  createApprovalWebhook,
  type HoldView,
} from '@writ/core'
import type { ApprovalsPageOptions, PasskeyRegistry } from '@writ/server'
import { type WebAuthnApprovalVerifier, webAuthnApprovalVerifier } from '@writ/verify'
import { CliError, usageError } from './cli-error.js'
import { type ParsedInput, stringFlag } from './command.js'
import { resolvePath } from './files.js'
import type { CliIo } from './io.js'
import { readSecretFile } from './serve-config.js'

/** The flags `writ serve` takes for the approvals page and the webhook. */
export const APPROVALS_PAGE_FLAGS = {
  'approvals-origin': { type: 'string' },
  passkeys: { type: 'string' },
  'approval-webhook': { type: 'string' },
  'approval-webhook-key-file': { type: 'string' },
} as const

/** The environment variable that may hold the webhook's signing keys (space separated). */
export const WEBHOOK_KEY_VARIABLE = 'WRIT_APPROVAL_WEBHOOK_KEY'

/** Help lines of the flags above, for `writ serve --help`. */
export const APPROVALS_PAGE_HELP = `  --approvals-origin URL the approvals page's origin as approvers' browsers see it
                         (https://writ.example.com): serves /approvals, where
                         approvers enroll a passkey with a one-time link (operators:
                         POST /v1/approvers/ID/enrollments, or writ approver
                         enroll) and approve or reject holds with it. Needs
                         --approvers
  --passkeys FILE        where registered passkeys are kept (JSON, mode 0600;
                         default: beside the approvers file, .passkeys.json)
  --approval-webhook URL POST each hold, signed (Standard Webhooks), to URL
  --approval-webhook-key-file FILE
                         the webhook's signing keys (whsk_… Ed25519 and/or whsec_…
                         HMAC), mode 0600; or WRIT_APPROVAL_WEBHOOK_KEY`

/** What the approvals flags give the gate and the server. */
export interface ServeApprovals {
  /** For `createGate`: passkey approvals accepted from the page's origin, and the hold hook. */
  readonly gate: {
    readonly webauthn?: WebAuthnApprovalVerifier
    readonly onHold?: (hold: HoldView) => void
  }
  /** For `createAuthorityServer`: the page, with its passkey file open. */
  readonly page: ApprovalsPageOptions | undefined
  /** Stops the webhook's retries. */
  close(): Promise<void>
}

function webhookKeys(input: ParsedInput, io: CliIo): string[] {
  const file = stringFlag(input, 'approval-webhook-key-file')
  const text =
    file !== undefined
      ? readSecretFile(io, file, 'approval webhook key file')
      : (io.env ?? process.env)[WEBHOOK_KEY_VARIABLE]
  const keys = (text ?? '').split(/\s+/).filter((key) => key !== '')
  if (keys.length === 0) {
    throw usageError(
      `--approval-webhook needs signing keys: --approval-webhook-key-file FILE or ${WEBHOOK_KEY_VARIABLE}`,
    )
  }
  return keys
}

function webhookOf(
  input: ParsedInput,
  io: CliIo,
  origin: string | undefined,
): ApprovalWebhook | undefined {
  const url = stringFlag(input, 'approval-webhook')
  if (url === undefined) {
    if (stringFlag(input, 'approval-webhook-key-file') !== undefined) {
      throw usageError('--approval-webhook-key-file needs --approval-webhook URL')
    }
    return undefined
  }
  try {
    return createApprovalWebhook({
      url,
      signingKeys: webhookKeys(input, io),
      ...(origin === undefined ? {} : { approvalsUrl: new URL('/approvals', origin).href }),
    })
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError(
      'CONFIG_INVALID',
      `The approval webhook is invalid: ${(error as Error).message}`,
    )
  }
}

function originOf(input: ParsedInput): string | undefined {
  const value = stringFlag(input, 'approvals-origin')
  if (value === undefined) return undefined
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw usageError('--approvals-origin must be a URL such as https://writ.example.com')
  }
  if (url.protocol !== 'https:' && url.hostname !== 'localhost') {
    throw usageError('--approvals-origin must be https (or http://localhost for a trial)')
  }
  return url.origin
}

/**
 * Reads the approvals flags. `approvers` is the directory of `--approvers`; the page
 * needs it (approvers sign in only as themselves), the webhook does not.
 */
export async function serveApprovals(
  input: ParsedInput,
  io: CliIo,
  approvers: ApproverDirectory | undefined,
  approversFile: string | undefined,
  openPasskeys: (file: string) => Promise<PasskeyRegistry>,
): Promise<ServeApprovals> {
  const origin = originOf(input)
  if (origin !== undefined && approvers === undefined) {
    throw usageError('--approvals-origin needs --approvers FILE')
  }
  const webhook = webhookOf(input, io, origin)
  const passkeysFlag = stringFlag(input, 'passkeys')
  const passkeysFile = resolvePath(
    io,
    passkeysFlag ??
      `${(approversFile ?? 'approvers').replace(/\.(ya?ml|json)$/, '')}.passkeys.json`,
  )
  const page =
    origin === undefined || approvers === undefined
      ? undefined
      : { origin, approvers, passkeys: await openPasskeys(passkeysFile) }
  return {
    gate: {
      ...(origin === undefined
        ? {}
        : {
            webauthn: webAuthnApprovalVerifier({
              rpId: new URL(origin).hostname,
              origins: [origin],
            }),
          }),
      ...(webhook === undefined ? {} : { onHold: webhook.notify }),
    },
    page,
    close: async () => webhook?.close(),
  }
}
