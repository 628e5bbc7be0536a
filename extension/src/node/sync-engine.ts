// The workspace sync: pushes the workspace into the sandbox (first all of it, then what changes), pulls back what the
// agent changed, and never overwrites a user edit: see common/sync-planner.ts for the rules. All operations run one
// at a time on a queue, so a push and a pull never interleave.
import { EventEmitter } from 'node:events';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { SandboxPathError, UnsafeWriteError } from '@suna/shared/boundary/index';
import { mergeFile } from '../common/merge.js';
import type { SyncIssue, SyncStateView } from '../common/protocol.js';
import { reconcile, type PlanItem, type ReconcileInput, type RemoteEntry, type SyncCaps } from '../common/sync-planner.js';
import { isSyncablePath } from '@suna/shared/boundary/sandbox-path';
import type { IgnoreRules } from '../common/ignore-rules.js';
import type { BaseStore } from './base-store.js';
import type { Manifest, PulledFile, PushFile, SandboxSyncApi } from './sandbox-sync-api.js';
import { streamInitialPush } from './initial-push.js';
import { currentLocal, readLocal, readLocalPaths, underRealFolders, type LocalSide } from './local-side.js';
import { RESTORE_REASONS, UserSaveLog } from './user-saves.js';
import { describe, loadGitignore, scanWorkspace, sha256 } from './workspace-scan.js';

/** How the engine changes the workspace (VS Code: WorkspaceEdit / workspace.fs; tests: node fs). */
export interface WorkspaceWriter {
  /** Writes a file the sandbox sent (never a symlink; never through one: throws UnsafeWriteError). */
  write(path: string, data: Uint8Array, opts: { mode?: number }): Promise<void>;
  remove(path: string): Promise<void>;
  /** True while an editor holds unsaved changes to it: those count as the user's edit. */
  hasUnsavedChanges(path: string): boolean;
}

export interface Incoming {
  path: string;
  reason: string;
  /** The sandbox version; null when the agent deleted it. */
  theirs: Uint8Array | null;
  theirsSha: string | null;
}

export interface SyncEngineOptions {
  root: string;
  api: SandboxSyncApi;
  writer: WorkspaceWriter;
  base: BaseStore;
  caps: SyncCaps;
  excludes?: string[];
  debounceMs?: number;
  log?: (line: string) => void;
  userSaves?: UserSaveLog; // persisted by the caller; by default in memory (forgotten at a reload)
}

const MAX_ISSUES_SHOWN = 50;
/** More agent deletions than this in one pull wait for the user (a wiped sandbox must not wipe the workspace). */
const MASS_DELETE = 25;

export class SyncEngine extends EventEmitter<{ state: [SyncStateView]; incoming: [Incoming] }> {
  readonly conflicts = new Map<string, Incoming>();
  readonly pending = new Map<string, Incoming>();
  private rules: IgnoreRules | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private dirty = new Set<string>();
  /** Paths the user's edits were pushed to during the current agent run (undefined: no run); see the planner. */
  private savedThisRun: Set<string> | undefined;
  /** When the user's edits were pushed, per path (restore guards, "you edited it too" in a run's changes). */
  readonly userSaves: UserSaveLog;
  private restoreGuard: { has(path: string): boolean } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private issues: SyncIssue[] = [];
  private view: SyncStateView = { state: 'off', files: 0, bytes: 0, skipped: [], skippedCount: 0, conflicts: [], pending: [] };
  private readonly log: (line: string) => void;

  constructor(private readonly o: SyncEngineOptions) {
    super();
    this.log = o.log ?? (() => {});
    this.userSaves = o.userSaves ?? new UserSaveLog();
  }

  get state(): SyncStateView {
    return this.view;
  }

  private update(patch: Partial<SyncStateView>): void {
    this.view = {
      ...this.view,
      ...patch,
      skipped: this.issues.slice(0, MAX_ISSUES_SHOWN),
      skippedCount: this.issues.length,
      conflicts: [...this.conflicts.keys()],
      pending: [...this.pending.keys()],
    };
    this.emit('state', this.view);
  }

  private enqueue<T>(what: SyncStateView['state'], work: () => Promise<T>): Promise<T> {
    const run = this.queue.catch(() => {}).then(async () => {
      this.update({ state: what, message: undefined });
      try {
        const r = await work();
        this.update({ state: 'idle', files: this.o.base.hashes.size });
        return r;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.log(`sync: ${message}`);
        this.update({ state: 'error', message });
        throw err;
      }
    });
    this.queue = run;
    return run;
  }

  /** First sync: everything the sandbox lacks goes in, whatever the agent changed meanwhile comes back. */
  start(): Promise<void> {
    return this.enqueue('initial', async () => {
      // The sandbox lists its side while we scan ours.
      const remoteP = this.o.api.manifest(this.o.caps.maxFileBytes);
      remoteP.catch(() => {});
      const scan = await scanWorkspace(this.o.root, this.o.excludes);
      this.rules = scan.rules;
      this.issues = [];
      const remote = await remoteP;
      if (remote.entries.size === 0 && this.o.base.hashes.size > 0) {
        this.log('sync: the sandbox workspace is empty (new or reset sandbox): pushing the workspace again');
        this.o.base.clear();
      }
      if (remote.entries.size === 0 && remote.complete && remote.skipped.length === 0) {
        // Nothing on either side to reconcile with: stream the workspace in.
        const record = (path: string, sha: string, data: Uint8Array) => this.setBase(path, sha, data);
        await streamInitialPush({ root: this.o.root, caps: this.o.caps, api: this.o.api, record }, scan.files, this.issues);
        this.update({ bytes: [...scan.files.values()].reduce((n, f) => n + f.size, 0) });
        return;
      }
      const local = await readLocal(this.o, scan.files);
      const plan = reconcile({ base: this.o.base.hashes, local: local.entries, remote: toRemote(remote, this.o.base.hashes), remoteComplete: remote.complete, caps: this.o.caps, ...this.guard() });
      await this.execute(plan.items, local, remote, false);
      this.update({ bytes: [...local.meta.values()].reduce((n, f) => n + f.size, 0) });
    });
  }

  /** The workspace changed at these paths (file watcher); pushed after a short quiet period. */
  notifyChanged(paths: Iterable<string>): void {
    for (const p of paths) this.dirty.add(p);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pushDirty().catch(() => {}), this.o.debounceMs ?? 50);
  }

  private pushDirty(): Promise<void> {
    const paths = [...this.dirty];
    this.dirty.clear();
    if (!paths.length) return Promise.resolve();
    return this.enqueue('pushing', () => this.pushPaths(paths));
  }

  /** An agent run starts (true) or has ended and been pulled (false): user edits pushed meanwhile are guarded. */
  trackRun(running: boolean): void {
    this.savedThisRun = running ? new Set() : undefined;
  }

  /** Waits until nothing is queued or waiting for the debounce. */
  async settle(): Promise<void> {
    clearTimeout(this.timer);
    await this.pushDirty().catch(() => {});
    await this.queue.catch(() => {});
  }

  /** Brings back what the agent changed (after a tool call that may write, at the end of a run, on demand). */
  pull(): Promise<void> {
    return this.enqueue('pulling', async () => {
      const remote = await this.o.api.manifest(this.o.caps.maxFileBytes);
      const base = this.o.base.hashes;
      if (remote.entries.size === 0 && base.size > 0) {
        this.log('sync: the sandbox workspace is empty (reset?): pushing the workspace again instead of deleting local files');
        this.o.base.clear();
        const scan = await scanWorkspace(this.o.root, this.o.excludes);
        this.rules = scan.rules;
        const local = await readLocal(this.o, scan.files);
        const plan = reconcile({ base: this.o.base.hashes, local: local.entries, remote: toRemote(remote, this.o.base.hashes), caps: this.o.caps, ...this.guard() });
        return this.execute(plan.items, local, remote, false);
      }
      const changed = new Set<string>();
      for (const [p, e] of remote.entries) if (base.get(p) !== e.sha256) changed.add(p);
      const tooBig = new Set(remote.skipped);
      if (remote.complete) for (const p of base.keys()) if (!remote.entries.has(p) && !tooBig.has(p)) changed.add(p);
      for (const p of [...changed]) {
        const known = this.conflicts.get(p) ?? this.pending.get(p);
        if (known && known.theirsSha === (remote.entries.get(p)?.sha256 ?? null)) changed.delete(p);
        else if (this.rules?.isIgnored(p) && !base.has(p)) changed.delete(p);
      }
      if (!changed.size) return;
      const local = await readLocalPaths(this.o, [...changed]);
      const plan = reconcile({ base, local: local.entries, remote: toRemote(remote, this.o.base.hashes), remoteComplete: remote.complete, paths: changed, caps: this.o.caps, ...this.guard() });
      await this.execute(plan.items, local, remote, true);
    });
  }

  /**
   * Brings back just these paths (the agent's file tools name what they changed): no manifest, so it stays fast in
   * big workspaces. A path that cannot be settled this way (a folder, a symlink, an error) falls back to a full pull.
   */
  pullPaths(paths: string[]): Promise<void> {
    return this.enqueue('pulling', async () => {
      const base = this.o.base.hashes;
      const wanted = [...new Set(paths)].filter((p) => isSyncablePath(p) && !(this.rules?.isIgnored(p) && !base.has(p)));
      if (!wanted.length) return;
      const fetched = await this.o.api.pull(wanted);
      const remote: Manifest = { entries: new Map(), complete: true, skipped: [] };
      let unsure = false;
      for (const f of fetched) {
        if (f.error) unsure = true;
        else if (!f.missing && f.data && f.sha256) remote.entries.set(f.path, { path: f.path, type: 'file', size: f.data.length, sha256: f.sha256, mode: f.mode ?? 0o644 });
      }
      const local = await readLocalPaths(this.o, wanted);
      if ([...local.meta.values()].some((m) => m.type === 'symlink')) unsure = true;
      const known = wanted.filter((p) => {
        const c = this.conflicts.get(p) ?? this.pending.get(p);
        return !(c && c.theirsSha === (remote.entries.get(p)?.sha256 ?? null));
      });
      if (!unsure) {
        const plan = reconcile({ base, local: local.entries, remote: toRemote(remote, this.o.base.hashes), paths: known, caps: this.o.caps, ...this.guard() });
        await this.execute(plan.items, local, remote, true, new Map(fetched.map((f) => [f.path, f])));
      }
      if (unsure) queueMicrotask(() => void this.pull().catch(() => {}));
    });
  }

  /**
   * The sandbox went back to a checkpoint taken at `since` (host clock): pulls (all, or `paths`), but a file the
   * user edited since then becomes a review item instead of going back (user-saves.ts; unknown → all guarded).
   */
  async pullAfterRestore(since: number, paths?: string[]): Promise<void> {
    await this.queue.catch(() => {});
    this.restoreGuard = this.userSaves.editedSince(since);
    try {
      await (paths ? this.pullPaths(paths) : this.pull());
    } finally {
      this.restoreGuard = undefined;
    }
  }

  private guard(): Pick<ReconcileInput, 'savedByUser' | 'savedReason'> {
    if (!this.restoreGuard) return { savedByUser: this.savedThisRun };
    return { savedByUser: this.restoreGuard, savedReason: RESTORE_REASONS };
  }

  /** The user's decision on a conflict or a change waiting for approval. */
  resolve(path: string, choice: 'mine' | 'theirs'): Promise<void> {
    return this.enqueue('pushing', async () => {
      const c = this.conflicts.get(path) ?? this.pending.get(path);
      if (!c) return;
      this.conflicts.delete(path);
      this.pending.delete(path);
      if (choice === 'theirs') {
        if (c.theirs === null) await this.o.writer.remove(path).catch(() => {});
        else if (!(await this.writeLocal(path, c.theirs, {}))) return;
        this.setBase(path, c.theirsSha, c.theirs ?? undefined);
      } else {
        this.setBase(path, c.theirsSha, c.theirs ?? undefined);
        await this.pushPaths([path]);
      }
    });
  }

  /** The sandbox version of a conflicted or pending path (for the diff editor). */
  theirs(path: string): Incoming | undefined {
    return this.conflicts.get(path) ?? this.pending.get(path);
  }

  // ------------------------------------------------------------------------------------------ internals

  private setBase(path: string, sha: string | null, data?: Uint8Array): void {
    if (sha === null) this.o.base.delete(path);
    else {
      this.o.base.set(path, sha);
      if (data) void this.o.base.putBlob(sha, data).catch(() => {});
    }
  }

  /** Local changes at `paths` (files, or folders that appeared or went away) → guarded pushes. */
  private async pushPaths(input: string[]): Promise<void> {
    const paths = new Set<string>();
    const base = this.o.base.hashes;
    for (const p of input) {
      // Nothing behind a symlinked folder is the workspace (`ext → /home`): not scanned, not pushed.
      if (!isSyncablePath(p) || !(await underRealFolders(this.o.root, p))) continue;
      if ((p === '.gitignore' || p.endsWith('/.gitignore')) && this.rules) await loadGitignore(this.o.root, p.slice(0, -'/.gitignore'.length), this.rules);
      const st = await fsp.lstat(join(this.o.root, p)).catch(() => null);
      if (st?.isDirectory()) {
        // A folder appeared (created, moved in): everything in it.
        const sub = await scanWorkspace(join(this.o.root, p), []);
        for (const q of sub.files.keys()) paths.add(`${p}/${q}`);
      } else if (st || base.has(p)) paths.add(p);
      // A folder went away (or was replaced): the files the base still lists under it.
      if (!st || st.isDirectory()) for (const b of base.keys()) if (b.startsWith(`${p}/`)) paths.add(b);
    }
    const wanted = [...paths].filter((p) => !this.conflicts.has(p) && !this.pending.has(p) && !(this.rules?.isIgnored(p) && !this.o.base.hashes.has(p)));
    if (!wanted.length) return;
    const local = await readLocalPaths(this.o, wanted);
    const plan = reconcile({ base: this.o.base.hashes, local: local.entries, paths: wanted, caps: this.o.caps, ...this.guard() });
    await this.execute(plan.items, local, undefined, true);
  }

  private async execute(items: PlanItem[], local: LocalSide, remote: Manifest | undefined, guarded: boolean, prefetched?: Map<string, PulledFile>): Promise<void> {
    const deletions = items.filter((i) => i.action === 'delete-local');
    if (deletions.length > MASS_DELETE && deletions.length > this.o.base.hashes.size / 5)
      for (const d of deletions) Object.assign(d, { action: 'needs-approval', reason: `one of ${deletions.length} files the agent deleted at once` });

    const incoming = items.filter((i) => ['take-theirs', 'delete-local', 'merge', 'conflict', 'needs-approval'].includes(i.action));
    const pulled = new Map<string, PulledFile>();
    const symlinks = incoming.filter((i) => remote?.entries.get(i.path)?.type === 'symlink');
    for (const i of symlinks) this.issues.push({ path: i.path, reason: 'a symlink the agent changed: not synced back' });
    const toPull = incoming.filter((i) => !symlinks.includes(i) && !prefetched?.has(i.path)).map((i) => i.path);
    for (const i of incoming) if (prefetched?.has(i.path)) pulled.set(i.path, prefetched.get(i.path)!);
    if (toPull.length) for (const f of await this.o.api.pull(toPull)) pulled.set(f.path, f);

    const pushes: PushFile[] = [];
    const removes: string[] = [];
    const ifMatch: Record<string, string | null> = {};
    const addPush = (path: string, data: Uint8Array, expect: string | null) => {
      const m = local.meta.get(path);
      pushes.push({ path, data, mode: m?.mode, symlink: m?.type === 'symlink' });
      ifMatch[path] = expect;
    };

    for (const item of items) {
      const { path } = item;
      const theirs = pulled.get(path);
      const theirsData = theirs?.missing ? null : (theirs?.data ?? null);
      const theirsSha = theirs?.missing ? null : (theirs?.sha256 ?? null);
      const baseSha = this.o.base.hashes.get(path) ?? null;
      switch (item.action) {
        case 'push': {
          const data = local.contents.get(path);
          if (data) addPush(path, data, baseSha);
          this.savedThisRun?.add(path);
          this.userSaves.note(path);
          break;
        }
        case 'push-delete':
          this.userSaves.note(path);
          removes.push(path);
          ifMatch[path] = baseSha;
          break;
        case 'record':
          this.setBase(path, local.entries.get(path)!.sha256!, local.contents.get(path));
          break;
        case 'forget':
          this.o.base.delete(path);
          break;
        case 'skip':
        case 'refused':
          this.issues.push({ path, reason: item.reason ?? item.action });
          break;
        case 'take-theirs':
        case 'delete-local':
        case 'merge': {
          if (!theirs || theirs.error || (item.action === 'delete-local' ? !theirs.missing : theirs.missing)) {
            if (theirs?.error) this.issues.push({ path, reason: `could not read it in the sandbox: ${theirs.error}` });
            break; // the sandbox changed again since the manifest: the next pull sees it
          }
          const now = await currentLocal(this.o.root, path);
          const userTouched = now.sha !== baseSha || this.o.writer.hasUnsavedChanges(path);
          if (!userTouched) {
            const done = theirsData === null ? await this.removeLocal(path) : await this.writeLocal(path, theirsData, { mode: theirs.mode });
            if (done) this.setBase(path, theirsSha, theirsData ?? undefined);
            break;
          }
          if (now.sha === theirsSha) {
            this.setBase(path, theirsSha, theirsData ?? undefined);
            break;
          }
          if (now.data && theirsData && !this.o.writer.hasUnsavedChanges(path)) {
            const merged = mergeFile(baseSha ? await this.o.base.getBlob(baseSha) : undefined, now.data, theirsData);
            if (merged.clean) {
              const out = Buffer.from(merged.text);
              if (!(await this.writeLocal(path, out, {}))) break;
              this.setBase(path, theirsSha, theirsData);
              addPush(path, out, theirsSha);
              this.log(`sync: merged the agent's and your changes to ${path}`);
              break;
            }
            this.addIncoming(this.conflicts, { path, reason: merged.reason, theirs: theirsData, theirsSha });
            break;
          }
          this.addIncoming(this.conflicts, { path, reason: now.data ? 'you have unsaved changes; the agent changed it' : 'you deleted it; the agent changed it', theirs: theirsData, theirsSha });
          break;
        }
        case 'conflict':
        case 'needs-approval': {
          if (theirs?.error) break;
          const target = item.action === 'conflict' ? this.conflicts : this.pending;
          this.addIncoming(target, { path, reason: item.reason ?? 'sensitive file: apply only if you trust the change', theirs: theirsData, theirsSha });
          break;
        }
      }
    }

    if (pushes.length || removes.length) {
      const r = await this.o.api.push(pushes, removes, guarded ? ifMatch : undefined);
      const refused = new Set([...r.mismatched, ...r.failed.map((f) => f.path)]);
      for (const f of r.failed) this.issues.push({ path: f.path, reason: `not written in the sandbox: ${f.error}` });
      for (const p of pushes) if (!refused.has(p.path)) this.setBase(p.path, sha256(p.data), p.data);
      for (const p of removes) if (!refused.has(p)) this.o.base.delete(p);
      if (r.mismatched.length) {
        // The agent changed them after our last look: settle them as a pull would (merge or conflict).
        this.log(`sync: ${r.mismatched.length} files changed in the sandbox meanwhile; merging`);
        const again = await this.o.api.manifest(this.o.caps.maxFileBytes);
        const lside = await readLocalPaths(this.o, r.mismatched);
        const plan = reconcile({ base: this.o.base.hashes, local: lside.entries, remote: toRemote(again, this.o.base.hashes), remoteComplete: again.complete, paths: r.mismatched, caps: this.o.caps, ...this.guard() });
        await this.execute(plan.items.filter((i) => !i.action.startsWith('push')), lside, again, true);
      }
    }
  }

  /**
   * Writes (or removes) one path in the workspace; a write the boundary refuses (a symlinked folder on the
   * way, a folder in the way, a bad name) is reported for that path and the rest of the pull goes on.
   */
  private async writeLocal(path: string, data: Uint8Array, opts: { mode?: number }): Promise<boolean> {
    return this.refusable(path, () => this.o.writer.write(path, data, opts));
  }

  private async removeLocal(path: string): Promise<boolean> {
    return this.refusable(path, () => this.o.writer.remove(path));
  }

  private async refusable(path: string, work: () => Promise<void>): Promise<boolean> {
    try {
      await work();
      return true;
    } catch (err) {
      if (!(err instanceof UnsafeWriteError || err instanceof SandboxPathError)) throw err;
      this.issues.push({ path, reason: `not written here: ${err.message}` });
      this.log(`sync: ${path}: ${err.message}`);
      return false;
    }
  }

  private addIncoming(target: Map<string, Incoming>, c: Incoming): void {
    target.set(c.path, c);
    this.emit('incoming', c);
  }
}

/**
 * The planner's view of the manifest. A file the sandbox left out for its size is not a deletion: it
 * keeps its base hash (no change known), so nothing local is deleted or overwritten because of it.
 */
function toRemote(m: Manifest, base: ReadonlyMap<string, string>): Map<string, RemoteEntry> {
  const out = new Map([...m.entries].map(([p, e]) => [p, { sha256: e.sha256, size: e.size }]));
  for (const p of m.skipped) if (!out.has(p) && base.has(p)) out.set(p, { sha256: base.get(p)!, size: 0 });
  return out;
}
