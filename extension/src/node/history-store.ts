// Conversation history that survives reloads: one JSON file per conversation plus an index, every write
// atomic (temp file + rename). What is saved is a checkpoint (user message sent, tool call finished, run
// ended), never a half-streamed reply: the file always holds the last complete state.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Message } from '@suna/shared/agent/index';
import type { ConversationSummary } from '../common/protocol.js';
import type { ChatItem, UsageTotals } from '../common/transcript.js';
import type { ContextFill, CostEstimate } from '../common/usage-meter.js';
import { readJson, writeFileAtomic } from './atomic-file.js';

export interface StoredConversation {
  version: 1;
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  model: string;
  /** The conversation as the model sees it (to continue it). */
  messages: Message[];
  /** What the panel shows. */
  items: ChatItem[];
  usage: UsageTotals;
  /** Estimated cost of its model calls, and how full the context was after the last one. */
  cost?: CostEstimate;
  context?: ContextFill;
}

const ID = /^[a-z0-9-]{1,64}$/;

export class HistoryStore {
  constructor(private readonly dir: string) {}

  private file(id: string): string {
    if (!ID.test(id)) throw new Error(`bad conversation id ${JSON.stringify(id)}`);
    return join(this.dir, 'conversations', `${id}.json`);
  }

  private get indexFile(): string {
    return join(this.dir, 'conversations', 'index.json');
  }

  async list(): Promise<ConversationSummary[]> {
    const index = await readJson<{ version: 1; items: ConversationSummary[] }>(this.indexFile);
    if (index?.version === 1) return index.items;
    return this.rebuildIndex();
  }

  async load(id: string): Promise<StoredConversation | undefined> {
    const c = await readJson<StoredConversation>(this.file(id));
    return c?.version === 1 ? c : undefined;
  }

  /** Saves a checkpoint: a reply still streaming is left out (the previous checkpoint has the rest). */
  async save(c: StoredConversation): Promise<void> {
    const items = c.items.filter((i) => !(i.kind === 'assistant' && i.streaming));
    await writeFileAtomic(this.file(c.id), JSON.stringify({ ...c, items }));
    const list = (await this.list()).filter((s) => s.id !== c.id);
    if (items.length) list.unshift({ id: c.id, title: c.title, updatedAt: c.updatedAt, items: items.length });
    await this.writeIndex(list);
  }

  async delete(id: string): Promise<ConversationSummary[]> {
    await fsp.rm(this.file(id), { force: true });
    const list = (await this.list()).filter((s) => s.id !== id);
    await this.writeIndex(list);
    return list;
  }

  private async writeIndex(items: ConversationSummary[]): Promise<void> {
    items.sort((a, b) => b.updatedAt - a.updatedAt);
    await writeFileAtomic(this.indexFile, JSON.stringify({ version: 1, items }));
  }

  /** The index is a cache: rebuilt from the conversation files when missing or unreadable. */
  private async rebuildIndex(): Promise<ConversationSummary[]> {
    const names = await fsp.readdir(join(this.dir, 'conversations')).catch(() => [] as string[]);
    const items: ConversationSummary[] = [];
    for (const n of names) {
      if (!n.endsWith('.json') || n === 'index.json') continue;
      const c = await readJson<StoredConversation>(join(this.dir, 'conversations', n));
      if (c?.version === 1 && c.items.length) items.push({ id: c.id, title: c.title, updatedAt: c.updatedAt, items: c.items.length });
    }
    items.sort((a, b) => b.updatedAt - a.updatedAt);
    return items;
  }
}
