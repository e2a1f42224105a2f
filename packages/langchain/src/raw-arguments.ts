/**
 * Finds the raw JSON text a model produced for one tool call, when the provider kept it.
 *
 * LangChain hands tools an already parsed `args` object, and `JSON.parse` silently keeps
 * the last of two duplicate keys: `{"amount":10,"amount":100000}` becomes
 * `{ amount: 100000 }`. Writ refuses duplicate keys, but can only see them in the text.
 * Providers that speak the OpenAI wire format (ChatOpenAI and compatible ones) keep the
 * text in `additional_kwargs.tool_calls[].function.arguments` of the `AIMessage` that
 * proposed the call; this helper finds it there by tool call id.
 *
 * The text is used only when it parses to exactly the `args` LangChain is about to run.
 * If anything rewrote the arguments in between (a middleware that runs earlier), the
 * object is what would execute, so the object is what gets decided and signed.
 *
 * @param messages the agent state's messages, if known
 * @param toolCallId the tool call's id
 * @param args the parsed arguments about to run
 * @returns the raw JSON text, or `undefined` when it is unknown or does not match `args`
 */
export function rawArgumentsOf(
  messages: unknown,
  toolCallId: string | undefined,
  args: unknown,
): string | undefined {
  if (toolCallId === undefined || toolCallId === '' || !Array.isArray(messages)) return undefined
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const text = rawArgumentsIn(messages[index], toolCallId)
    if (text === undefined) continue
    return sameJson(text, args) ? text : undefined
  }
  return undefined
}

function rawArgumentsIn(message: unknown, toolCallId: string): string | undefined {
  if (!isRecord(message)) return undefined
  const kwargs = message['additional_kwargs']
  if (!isRecord(kwargs)) return undefined
  const calls = kwargs['tool_calls']
  if (!Array.isArray(calls)) return undefined
  for (const call of calls) {
    if (!isRecord(call) || call['id'] !== toolCallId) continue
    const fn = call['function']
    if (!isRecord(fn)) return undefined
    const text = fn['arguments']
    return typeof text === 'string' ? text : undefined
  }
  return undefined
}

/** True when `text` parses (last duplicate wins, as everywhere in JS) to the same JSON as `value`. */
function sameJson(text: string, value: unknown): boolean {
  try {
    return JSON.stringify(JSON.parse(text)) === JSON.stringify(value)
  } catch {
    return false
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}
