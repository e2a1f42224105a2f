/**
 * Help for everything `writ help` lists: each command, and each group of commands
 * (`writ help keys`, `writ help token`); and every flag a command accepts appears in
 * its synopsis and is described in its help.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../src/commands/index.js'
import { synopsisOf } from '../src/help.js'
import { type Workspace, workspace } from './helpers.js'

let ws: Workspace
beforeAll(() => {
  ws = workspace()
})
afterAll(() => ws.remove())

/** The command names `writ help` lists, read from its output. */
async function listedCommands(): Promise<string[]> {
  const { stdout } = await ws.writ('help')
  const section = stdout.split('Commands:\n')[1]?.split('\n\n')[0] ?? ''
  return section
    .split('\n')
    .map((line) => /^ {2}([a-z][a-z-]*(?: [a-z][a-z-]*)*) {2,}/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined && name !== 'help')
}

describe('writ help', () => {
  it('lists every command', async () => {
    expect((await listedCommands()).sort()).toEqual(COMMANDS.map((command) => command.name).sort())
  })

  it('prints the help of every listed command', async () => {
    for (const name of await listedCommands()) {
      const result = await ws.writ('help', ...name.split(' '))
      expect(result.code, name).toBe(0)
      expect(result.stdout.startsWith(`Usage: writ ${name}`), name).toBe(true)
    }
  })

  it('prints the help of every group of commands, naming each of its commands', async () => {
    const names = await listedCommands()
    const groups = [
      ...new Set(
        names.filter((name) => name.includes(' ')).map((name) => name.split(' ')[0] as string),
      ),
    ]
    expect(groups.sort()).toEqual([
      'approvals',
      'approver',
      'bundle',
      'chain',
      'keys',
      'mcp',
      'policy',
      'proof',
      'shadow',
      'token',
      'witness',
    ])
    for (const group of groups) {
      const result = await ws.writ('help', group)
      expect(result.code, group).toBe(0)
      for (const name of names.filter((candidate) => candidate.startsWith(`${group} `)))
        expect(result.stdout, `${group}: ${name}`).toContain(`Usage: writ ${name}`)
    }
    const unknown = await ws.writ('help', 'nothing')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^writ: USAGE:/)
  })
})

describe('every command’s synopsis', () => {
  const mentions = (text: string, flag: string) => new RegExp(`--${flag}(?![a-z-])`).test(text)

  it.each(COMMANDS.map((command) => [command.name, command] as const))(
    'writ %s lists and describes each of its flags',
    (_name, command) => {
      const synopsis = synopsisOf(command)
      expect(synopsis.startsWith(`Usage: writ ${command.name}`)).toBe(true)
      const body = command.help.slice(synopsis.length)
      for (const flag of Object.keys(command.options)) {
        expect(mentions(synopsis, flag), `--${flag} in the synopsis`).toBe(true)
        expect(mentions(body, flag), `--${flag} described`).toBe(true)
      }
      // And nothing the synopsis offers is a flag the command would refuse.
      for (const offered of synopsis.matchAll(/--([a-z][a-z-]*)/g))
        expect(Object.keys(command.options), `--${offered[1]}`).toContain(offered[1])
    },
  )
})
