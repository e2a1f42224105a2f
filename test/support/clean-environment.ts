/**
 * The environment of this process without npm's per-run variables, so that an npm
 * command started from a test acts on its own folder (not on the workspace that runs
 * the tests), with colours off so that its output can be matched.
 */
export function cleanEnvironment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD' && key !== 'NODE_OPTIONS')
      environment[key] = value
  }
  return { ...environment, NO_COLOR: '1', FORCE_COLOR: '0' }
}
