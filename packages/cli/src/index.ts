// Running the command line in-process
export { run } from './run.js'
export { type CliIo, processIo } from './io.js'

// Exit codes and errors
export { EXIT_CODES, type ExitCode } from './exit-codes.js'
export { CliError, type CliErrorCode } from './cli-error.js'
