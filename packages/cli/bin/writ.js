#!/usr/bin/env node
// The `writ` command. A file of its own, outside dist/, so that npm links it into
// node_modules/.bin at install time, before anything is built: in a clone of the
// repository `npx writ` works as soon as `npm run build` has run.
try {
  await import('../dist/bin.js')
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/bin.js')) {
    process.stderr.write('writ: NOT_BUILT: @writ/cli is not built yet: run "npm run build" first\n')
    process.exitCode = 4
  } else throw error
}
