// How a running shell_exec's output travels to a client that asked for progress: each progress notification's
// message is this prefix + a piece of the output. Shared so the server and the VS Code panel agree on it.
export const LIVE_OUTPUT_PREFIX = 'output: ';

/** The output piece carried by a progress message, or undefined for any other progress message. */
export function liveOutputOf(message: unknown): string | undefined {
  return typeof message === 'string' && message.startsWith(LIVE_OUTPUT_PREFIX) ? message.slice(LIVE_OUTPUT_PREFIX.length) : undefined;
}
