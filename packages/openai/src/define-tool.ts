import { assertArgsUnchanged, type PermitDecision, WritError } from '@writ/core'
import type { PermittedArgs } from './run-tool-call.js'
import type { ToolHandler } from './tool-handlers.js'

/**
 * A schema in the Standard Schema v1 shape (https://standardschema.dev), which zod 4,
 * Valibot and ArkType implement: `@writ/openai` validates with it without depending on
 * any of them.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1
    readonly vendor: string
    readonly validate: (
      value: unknown,
    ) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>
    readonly types?: { readonly input: Input; readonly output: Output } | undefined
  }
}

/** What a Standard Schema's `validate` returns: the value, or the issues. */
export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined
      }>
    }

/** The type a schema validates to. */
export type SchemaOutput<Schema extends StandardSchemaV1> = NonNullable<
  Schema['~standard']['types']
>['output']

/** A tool body with its argument schema, for {@link defineTool}. */
export interface ToolDefinition<Schema extends StandardSchemaV1> {
  /** The schema the permitted arguments must satisfy, exactly as they are (no defaults, no stripping). */
  readonly inputSchema: Schema
  /** Runs only on PERMIT, once, with the permitted arguments, typed by the schema. */
  readonly execute: (args: Readonly<SchemaOutput<Schema>>, decision: PermitDecision) => unknown
}

const SCHEMA = Symbol('writ.openai.inputSchema')

/** A {@link ToolHandler} that carries its schema, as {@link defineTool} makes it. */
type SchemaHandler = ToolHandler & { readonly [SCHEMA]: StandardSchemaV1 }

/**
 * A handler for {@link handleChatToolCalls} and {@link handleResponseFunctionCalls} whose
 * arguments are validated and typed by a schema (zod 4 or any Standard Schema), as the
 * Vercel AI SDK's `tool({ inputSchema, execute })` does.
 *
 * The schema runs after the PERMIT and before the body, on the arguments the receipt
 * binds. Arguments it rejects are refused with `ARGS_MISMATCH` and one problem per issue
 * (code `SCHEMA_MISMATCH`, the path such as `args.amount`, the schema's message) in the
 * refusal, so the model can correct its call; a schema that changes them (a default, a
 * stripped key, a transform) is refused with `ARGS_MISMATCH` too. Either way the body
 * does not run.
 *
 * @example
 * ```ts
 * const transfer = defineTool({
 *   inputSchema: z.object({ to: z.string(), amount: z.number().positive() }),
 *   execute: ({ to, amount }) => bank.transfer(to, amount), // to: string, amount: number
 * })
 * await handleChatToolCalls(gate, message, { payments_transfer: transfer })
 * ```
 */
export function defineTool<Schema extends StandardSchemaV1>(
  definition: ToolDefinition<Schema>,
): ToolHandler {
  const { inputSchema, execute } = definition
  if (typeof inputSchema?.['~standard']?.validate !== 'function')
    throw new TypeError(
      'defineTool needs an inputSchema that implements Standard Schema (zod 4 does)',
    )
  const handler = (args: PermittedArgs, decision: PermitDecision) =>
    execute(args as Readonly<SchemaOutput<Schema>>, decision)
  return Object.assign(handler, { [SCHEMA]: inputSchema }) as SchemaHandler
}

/** The check that runs a handler's schema, when {@link defineTool} made the handler. */
export function schemaCheck(
  handler: ToolHandler,
  toolName: string,
): ((args: PermittedArgs) => Promise<void>) | undefined {
  const schema = (handler as Partial<SchemaHandler>)[SCHEMA]
  if (schema === undefined) return undefined
  return async (args) => {
    const result = await schema['~standard'].validate(args)
    if (result.issues !== undefined) throw schemaError(toolName, result.issues)
    assertArgsUnchanged(result.value, args, toolName)
  }
}

type Issues = Extract<StandardSchemaResult<unknown>, { issues: unknown }>['issues']

/** `ARGS_MISMATCH`, with one problem per issue: a dotted path and the schema's message. */
function schemaError(toolName: string, issues: Issues): WritError {
  const problems = issues.map((issue) => ({
    code: 'SCHEMA_MISMATCH',
    path: [
      'args',
      ...(issue.path ?? []).map((part) => String(typeof part === 'object' ? part.key : part)),
    ].join('.'),
    message: issue.message,
  }))
  const first = problems[0]
  return new WritError(
    'ARGS_MISMATCH',
    `The arguments of tool ${JSON.stringify(toolName)} do not match its schema${first === undefined ? '' : `: ${first.path}: ${first.message}`}.`,
    { details: { tool: toolName, problems } },
  )
}

/** The schema check of a handler made by {@link defineTool}, as a `ToolCall` member. */
export function checkOf(
  handler: ToolHandler,
  toolName: string,
): { readonly check?: (args: PermittedArgs) => Promise<void> } {
  const check = schemaCheck(handler, toolName)
  return check === undefined ? {} : { check }
}
