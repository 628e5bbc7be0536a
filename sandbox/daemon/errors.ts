// The one error type a handler throws on purpose: its `code` travels to the host (ENOENT, OUTSIDE_WORKSPACE…).
export class DaemonError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}
