// Why: the thread where workbooks from the sandbox are parsed and written, so a hostile one can exhaust only this
// thread's heap and time (limits set by worker-host.ts), never the server's. One task at a time, answered by id.
import { parentPort } from 'node:worker_threads';
import { firstLine, SheetError } from './errors.js';
import { runSheetTask, type SheetTask } from './tasks.js';

export interface WorkerRequest { id: number; task: SheetTask }
export type WorkerReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; domain: boolean; message: string };

const port = parentPort;
if (!port) throw new Error('sheets/worker.ts runs only as a worker thread');
port.on('message', async ({ id, task }: WorkerRequest) => {
  let reply: WorkerReply;
  const transfer: ArrayBuffer[] = [];
  try {
    const result = await runSheetTask(task);
    if ('data' in result && result.data instanceof Uint8Array) transfer.push(result.data.buffer as ArrayBuffer);
    reply = { id, ok: true, result };
  } catch (err) {
    reply = { id, ok: false, domain: err instanceof SheetError, message: err instanceof SheetError ? err.message : firstLine(err) };
  }
  port.postMessage(reply, transfer);
});
