/**
 * Reading the CLI's inputs: files, `JSON|@FILE` arguments, and `TOKEN|FILE` arguments.
 * A file that cannot be read is an `IO_ERROR` (exit 3), never an empty input.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { CliError, usageError } from './cli-error.js'
import type { CliIo } from './io.js'

/** `path` resolved against the invocation's working directory. */
export function resolvePath(io: CliIo, path: string): string {
  return isAbsolute(path) ? path : resolve(io.cwd, path)
}

/** Reads a UTF-8 text file, or throws `IO_ERROR` naming the file and what it was for. */
export function readTextFile(io: CliIo, path: string, what: string): string {
  const absolute = resolvePath(io, path)
  try {
    return readFileSync(absolute, 'utf8')
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new CliError('IO_ERROR', `cannot read ${what} ${path} (${reason})`, {
      cause,
      details: { path: absolute },
    })
  }
}

/** Throws `IO_ERROR` unless `path` is an existing regular file. */
export function requireFile(io: CliIo, path: string, what: string): string {
  const absolute = resolvePath(io, path)
  let isFile = false
  try {
    isFile = statSync(absolute).isFile()
  } catch {
    isFile = false
  }
  if (!isFile) {
    throw new CliError('IO_ERROR', `${what} ${path} does not exist or is not a file`, {
      details: { path: absolute },
    })
  }
  return absolute
}

/**
 * The text of a `JSON|@FILE` argument: the value itself, or the contents of the file
 * after `@`. The text is returned raw, so that duplicate keys can still be detected.
 */
export function readJsonArgument(io: CliIo, value: string, flag: string): string {
  if (value.startsWith('@')) {
    const path = value.slice(1)
    if (path === '') throw usageError(`${flag} @FILE needs a file name after @`)
    return readTextFile(io, path, `${flag} file`)
  }
  return value
}

const tokenLike = /^[A-Za-z0-9_-]*\.[A-Za-z0-9_.-]*\.[A-Za-z0-9_.-]*$/

/**
 * A compact token given as `TOKEN|FILE`: the file's contents (trimmed) when the argument
 * names an existing file, otherwise the argument itself when it is made of base64url
 * segments separated by dots (a malformed one is then the verifier's to reject).
 * Anything else is an `IO_ERROR`: a mistyped file name is not a malformed token.
 */
export function readTokenArgument(io: CliIo, value: string): string {
  const absolute = resolvePath(io, value)
  if (existsSync(absolute)) return readTextFile(io, value, 'token file').trim()
  if (tokenLike.test(value)) return value
  throw new CliError('IO_ERROR', `${value} is neither a compact token nor an existing file`, {
    details: { path: absolute },
  })
}
