// Running the command line in-process

export { CliError, type CliErrorCode } from './cli-error.js'
// Exit codes and errors
export { EXIT_CODES, type ExitCode } from './exit-codes.js'
export { type CliIo, processIo } from './io.js'
export { run } from './run.js'
