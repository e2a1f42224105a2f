/**
 * Every command of `writ`, in the order `writ help` lists them.
 */
import type { Command } from '../command.js'
import { approvalsListCommand, approveCommand, approverKeygenCommand } from './approvals.js'
import { approverEnrollCommand } from './approver-enroll.js'
import { bundleExportCommand, bundleVerifyCommand } from './bundle.js'
import { chainVerifyCommand } from './chain-verify.js'
import { checkpointCommand } from './checkpoint.js'
import { decideCommand } from './decide.js'
import { inspectCommand } from './inspect.js'
import { keygenCommand } from './keygen.js'
import { keysExportCommand } from './keys-export.js'
import { keysRevokeCommand, keysRotateCommand } from './keys-rotate.js'
import { mcpProxyCommand } from './mcp-proxy.js'
import { policyCheckCommand } from './policy-check.js'
import { policyExplainCommand } from './policy-explain.js'
import { policyLintCommand } from './policy-lint.js'
import { policyReplayCommand, shadowReportCommand, statsCommand } from './policy-ops.js'
import { policyTestCommand } from './policy-test.js'
import { proofConsistencyCommand, proofInclusionCommand } from './proof.js'
import { serveCommand, tokenNewCommand } from './serve.js'
import { verifyCommand } from './verify.js'
import { witnessServeCommand } from './witness.js'

/** The commands, by the words that name them. */
export const COMMANDS: readonly Command[] = [
  keygenCommand,
  keysExportCommand,
  keysRotateCommand,
  keysRevokeCommand,
  policyCheckCommand,
  policyTestCommand,
  policyLintCommand,
  policyExplainCommand,
  policyReplayCommand,
  shadowReportCommand,
  statsCommand,
  decideCommand,
  verifyCommand,
  chainVerifyCommand,
  checkpointCommand,
  proofInclusionCommand,
  proofConsistencyCommand,
  bundleExportCommand,
  bundleVerifyCommand,
  witnessServeCommand,
  inspectCommand,
  serveCommand,
  tokenNewCommand,
  approverKeygenCommand,
  approvalsListCommand,
  approveCommand,
  approverEnrollCommand,
  mcpProxyCommand,
]
