// attachRun: one way for every host to attach a run to the external servers — a structured summary at start,
// later notices until detach (approved tool lists excluded), nothing for a run that ended while it waited.
import assert from 'node:assert/strict';
import { attachRun, RunHubListeners, type McpHub, type McpHubNotice, type RunHubNotice } from '../src/mcp-hub/index.ts';

function fakeHub(status: unknown[]): McpHub {
  return { start: async () => {}, status: () => status } as unknown as McpHub;
}

describe('attachRun', () => {
  const hub = fakeHub([
    { name: 'down', state: 'failed', error: 'could not start', tools: [], pending: [] },
    { name: 'gh', state: 'ready', tools: [{ name: 'gh__search' }], pending: [{ name: 'gh__push', change: 'new', description: 'x' }] },
  ]);

  it('reports unavailable servers, held changes and ready tools, then later notices until detach', async () => {
    const listeners = new RunHubListeners();
    const got: RunHubNotice[] = [];
    const detach = await attachRun(hub, listeners, new AbortController().signal, (n) => got.push(n));
    assert.deepEqual(got, [
      { kind: 'unavailable', server: 'down', reason: 'could not start' },
      { kind: 'held', server: 'gh', tools: [{ name: 'gh__push', change: 'new' }] },
      { kind: 'ready', tools: ['gh__search'] },
    ]);
    const closed: McpHubNotice = { server: 'gh', level: 'warn', kind: 'closed', message: 'MCP server "gh" stopped' };
    listeners.publish({ server: 'gh', level: 'info', kind: 'tools_approved', message: 'enabled', tools: [] });
    listeners.publish(closed);
    assert.deepEqual(got.slice(3), [{ kind: 'hub', notice: closed }], 'approved tool lists are not for transcripts');
    detach();
    listeners.publish(closed);
    assert.equal(got.length, 4);
  });

  it('the held notice names no host tool: each host words it', async () => {
    const listeners = new RunHubListeners();
    const got: RunHubNotice[] = [];
    await attachRun(hub, listeners, new AbortController().signal, (n) => got.push(n));
    listeners.publish({ server: 'gh', level: 'warn', kind: 'tools_held', message: 'held until a human confirms them', tools: [{ name: 'gh__push', description: 'x' }] });
    assert.deepEqual(got.at(-1), { kind: 'held', server: 'gh', tools: [{ name: 'gh__push', change: undefined }] });
  });

  it('a run aborted (or detached) while the servers started gets its summary but no later notices', async () => {
    const listeners = new RunHubListeners();
    const ac = new AbortController();
    ac.abort();
    const got: RunHubNotice[] = [];
    await attachRun(hub, listeners, ac.signal, (n) => got.push(n));
    listeners.publish({ server: 'gh', level: 'warn', kind: 'closed', message: 'stopped' });
    assert.equal(got.length, 3);
  });
});
