// How a workspace file is named as an MCP resource, and its MIME type: shared by the resources module, the
// response builder's resource links and the local site host (kept apart so none of them depends on the runtime).

export const RESOURCE_PREFIX = 'sandbox://workspace/';

const MIME: Record<string, string> = {
  txt: 'text/plain', md: 'text/markdown', csv: 'text/csv', tsv: 'text/tab-separated-values', json: 'application/json',
  html: 'text/html', htm: 'text/html', css: 'text/css', js: 'text/javascript', mjs: 'text/javascript', ts: 'text/x-typescript',
  py: 'text/x-python', sh: 'text/x-shellscript', yml: 'text/yaml', yaml: 'text/yaml', xml: 'application/xml', svg: 'image/svg+xml',
  png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf',
  zip: 'application/zip', xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  ico: 'image/x-icon', wasm: 'application/wasm', woff: 'font/woff', woff2: 'font/woff2',
};

export function mimeTypeOf(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? '';
  return MIME[ext] ?? 'application/octet-stream';
}

/** The resource URI of a workspace path ("reports/q1.xlsx" → sandbox://workspace/reports/q1.xlsx). */
export function resourceUri(workspacePath: string): string {
  return RESOURCE_PREFIX + workspacePath.split('/').map(encodeURIComponent).join('/');
}

