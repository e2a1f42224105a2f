/**
 * Shared helpers of the demo's tests: paths, building what the tests need, and a
 * headless Chromium (Debian's, never downloaded).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium } from 'playwright-core'

/** The monorepo root. */
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** The demo package root. */
export const DEMO_ROOT = join(REPO_ROOT, 'apps', 'demo')

/** The shared test vectors, read in place, never copied. */
export const VECTORS_DIR = process.env['WRIT_VECTORS'] ?? join(REPO_ROOT, '..', 'shared', 'vectors')

/** The built files the tests run. */
export const BUILT = {
  bundle: join(DEMO_ROOT, 'dist', 'browser', 'verify.js'),
  runner: join(DEMO_ROOT, 'dist', 'run.js'),
  main: join(DEMO_ROOT, 'dist', 'main.js'),
  cli: join(REPO_ROOT, 'packages', 'cli', 'dist', 'bin.js'),
} as const

/** Builds the demo and everything it depends on (the CLI included) when a built file is missing. */
export function ensureBuilt(): void {
  if (Object.values(BUILT).every((file) => existsSync(file))) return
  execFileSync(
    'npx',
    ['turbo', 'run', 'build', '--filter=@writ/demo...', '--output-logs=errors-only'],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  )
}

/** Reads a vector file as JSON. */
export function readVector<T>(name: string): T {
  return JSON.parse(readFileSync(join(VECTORS_DIR, name), 'utf8')) as T
}

/** Starts headless Chromium from /usr/bin/chromium. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
