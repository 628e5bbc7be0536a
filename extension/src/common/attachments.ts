// Context the user gives with a message: workspace files and folders (@-mentions), the editor selection,
// the problems list, pasted or dropped images. The webview sends only references and images; the host reads
// the files itself (inside the workspace, within a budget) and turns everything into the model's message parts.

/** What the webview sends with a message (checked by the host: a webview is a browser page). */
export type Attachment =
  | { kind: 'file' | 'folder'; path: string }
  | { kind: 'selection'; path: string; startLine: number; text: string }
  | { kind: 'problems'; text: string }
  | { kind: 'image'; name: string; mimeType: string; data: string };

/** How an attachment shows on the message it went with (no file contents, no image data). */
export interface AttachmentLabel {
  kind: Attachment['kind'];
  label: string;
}

export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
/** A pasted image above this (base64 characters) is refused with a message. */
export const MAX_IMAGE_BASE64_CHARS = 7_000_000;
export const MAX_ATTACHMENTS = 12;
/** Text from files, folders, selection and problems together, per message. */
export const TEXT_BUDGET_CHARS = 120_000;
/** One file's share: a bigger file is cut, with a note. */
export const MAX_FILE_CHARS = 60_000;
export const MAX_FOLDER_FILES = 40;

const str = (v: unknown, max: number) => (typeof v === 'string' && v.length <= max ? v : undefined);

/** The attachments of a request, or an error saying what is wrong. Unknown kinds and junk are refused, not dropped. */
export function parseAttachments(value: unknown): Attachment[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > MAX_ATTACHMENTS) throw new Error(`at most ${MAX_ATTACHMENTS} attachments per message`);
  return value.map((v): Attachment => {
    const a = (v ?? {}) as Record<string, unknown>;
    switch (a.kind) {
      case 'file':
      case 'folder': {
        const path = str(a.path, 1000);
        if (!path) throw new Error('an attached file needs its workspace path');
        return { kind: a.kind, path };
      }
      case 'selection': {
        const path = str(a.path, 1000) ?? '';
        const text = str(a.text, MAX_FILE_CHARS);
        if (text === undefined || !Number.isSafeInteger(a.startLine)) throw new Error('the attached selection is too long or malformed');
        return { kind: 'selection', path, startLine: a.startLine as number, text };
      }
      case 'problems': {
        const text = str(a.text, MAX_FILE_CHARS);
        if (text === undefined) throw new Error('the attached problems list is too long');
        return { kind: 'problems', text };
      }
      case 'image': {
        const mimeType = IMAGE_TYPES.find((t) => t === a.mimeType);
        const data = str(a.data, MAX_IMAGE_BASE64_CHARS);
        if (!mimeType) throw new Error(`images must be ${IMAGE_TYPES.join(', ')}`);
        if (!data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) throw new Error(`an image is over ${Math.round((MAX_IMAGE_BASE64_CHARS * 3) / 4 / 1e6)} MB or not base64`);
        return { kind: 'image', name: (str(a.name, 200) ?? 'image').replace(/[\u0000-\u001f]/g, ''), mimeType, data };
      }
      default:
        throw new Error('unknown attachment');
    }
  });
}

export function labelOf(a: Attachment): AttachmentLabel {
  switch (a.kind) {
    case 'file':
    case 'folder':
      return { kind: a.kind, label: a.path };
    case 'selection':
      return { kind: a.kind, label: `${a.path || 'selection'}:${a.startLine}` };
    case 'problems':
      return { kind: a.kind, label: 'Problems' };
    case 'image':
      return { kind: a.kind, label: a.name };
  }
}

/** A block of attached text for the model, fenced so it reads as data with its origin. */
export function attachedBlock(kind: string, origin: string, text: string): string {
  const fence = '`'.repeat(Math.max(3, ...[...text.matchAll(/`{3,}/g)].map((m) => m[0].length + 1)));
  return `<attached ${kind}="${origin.replace(/["\n]/g, '')}">\n${fence}\n${text}\n${fence}\n</attached>`;
}
