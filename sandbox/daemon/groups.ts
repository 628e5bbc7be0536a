// Signals to process groups: every command runs in its own group, so a timeout, cancel or quota breach stops
// all of its descendants.
const KILL_GRACE_MS = 1000;

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM the whole group, then SIGKILL whatever ignored it; resolves when the group is gone (or killed). */
export async function terminateGroup(pid: number, graceMs = KILL_GRACE_MS): Promise<void> {
  if (!pid) return;
  killGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
  if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
}
