/**
 * Where the token's PIN comes from: an environment variable or a file, never a command
 * line flag (which every user of the machine can read in the process list).
 */
import { readFileSync, statSync } from 'node:fs'
import { WritError } from '@writ/core'

/** An environment variable or a file (mode 0600 or narrower) holding the PIN. */
export type PinSource = { readonly env: string } | { readonly file: string }

/**
 * Reads the PIN now. A trailing newline in a file is dropped.
 *
 * @throws WritError `KEY_MISSING` when the variable is unset or the file unreadable;
 * `KEY_INVALID` when the file may be read by group or others.
 */
export function readPin(source: PinSource): string {
  if ('env' in source) {
    const value = process.env[source.env]
    if (value === undefined || value === '') {
      throw new WritError('KEY_MISSING', `The PIN variable ${source.env} is not set.`, {
        details: { env: source.env },
      })
    }
    return value
  }
  let text: string
  try {
    if (process.platform !== 'win32' && (statSync(source.file).mode & 0o077) !== 0) {
      throw new WritError(
        'KEY_INVALID',
        `The PIN file ${source.file} may be read by others; make it 0600.`,
        {
          details: { path: source.file },
        },
      )
    }
    text = readFileSync(source.file, 'utf8')
  } catch (error) {
    if (WritError.isInstance(error)) throw error
    throw new WritError('KEY_MISSING', `The PIN file ${source.file} cannot be read.`, {
      cause: error,
      details: { path: source.file },
    })
  }
  const pin = text.replace(/\r?\n$/, '')
  if (pin === '') throw new WritError('KEY_MISSING', `The PIN file ${source.file} is empty.`)
  return pin
}
