#!/usr/bin/env node
/**
 * The `writ` executable: runs the command line and exits with its code.
 */
import { run } from './run.js'

process.exitCode = await run(process.argv.slice(2))
