// The default system prompt. Short on purpose: tool descriptions carry the details, and a stable prompt
// (no clock time, only the date) stays in the provider's prompt cache for the whole day.

import type { ToolSpec } from './types.js';

export interface SystemPromptOptions {
  tools: ToolSpec[];
  /** Appended as its own section: the host's or user's instructions. */
  extra?: string;
  /** Defaults to today; injectable so tests and caches see a stable prompt. */
  date?: Date;
}

export function buildSystemPrompt({ tools, extra, date = new Date() }: SystemPromptOptions): string {
  const toolLines = tools.map((t) => `- ${t.name}${t.readOnly ? ' (read-only)' : ''}: ${firstSentence(t.description)}`);
  const sections = [
    `You are an autonomous AI worker. You complete the user's task by acting in a Linux sandbox (Debian) through the tools below, then you reply with the result.`,
    [
      'The sandbox:',
      '- Your working directory is /workspace; keep the files you create there. The user sees /workspace.',
      '- You run as a non-root user without sudo. Install what you need into /workspace or your home directory (pip --user, npm in the project).',
      '- Commands run in the sandbox, not on the user\'s machine. Servers you start listen inside the sandbox; expose a port to show it to the user.',
    ].join('\n'),
    toolLines.length > 0 ? `Tools:\n${toolLines.join('\n')}` : 'No tools are available in this run: answer from what you know.',
    [
      'How to work:',
      '- Look before you change: read files and check state with tools rather than guessing. Never invent tool output.',
      '- Calls to read-only tools that do not depend on each other can go in one turn; they run in parallel.',
      '- After a change, verify it (run the code, the tests, or read the result back).',
      '- If a tool fails, read the error and adjust; do not repeat the same failing call.',
      '- When the task is done, or you need the user, stop calling tools and reply with a short summary of what you did and where the results are.',
    ].join('\n'),
    `Today is ${date.toISOString().slice(0, 10)}.`,
  ];
  if (extra?.trim()) sections.push(extra.trim());
  return sections.join('\n\n');
}

function firstSentence(text: string): string {
  const line = text.split('\n')[0]!.trim();
  const end = line.search(/\.(\s|$)/);
  const sentence = end >= 0 ? line.slice(0, end + 1) : line;
  return sentence.length > 160 ? `${sentence.slice(0, 157)}...` : sentence;
}
