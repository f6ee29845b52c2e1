/**
 * The text of the proxy's `elicitation/create` question (src/proxy/ask.ts): what
 * the held frame is, and what was found where, in words a person can judge.
 * Everything a server controls (tool names, paths made of its keys, method names)
 * is cleaned and cut short; findings appear as masked previews only.
 */
import { maskAll } from '../scan/mask.js';
import type { Category, Finding, JsonRpcMessage } from '../scan/types.js';
import type { HeldFrame } from './ask.js';

/** Findings a question names; more are counted. */
const NAMED = 5;
/** Longest tool name, method or path shown in a question, characters. */
const SHOWN_CHARS = 64;

const WORDS: Record<Category, string> = {
  dlp: 'a credential',
  injection: 'prompt injection',
  'tool-poisoning': 'tool poisoning',
  drift: 'a changed or new tool definition',
  policy: 'a tool-policy rule',
  protocol: 'a protocol problem',
};

/** The method of the frame, or of the request it answers. */
export function methodOf(frame: HeldFrame): string | undefined {
  return frame.input.message.method ?? frame.input.context?.method;
}

const LIST_ITEM = /^result\.(tools|prompts|resources|resourceTemplates)\[(\d+)\]/;

/** The list item a finding's path points into (`result.tools[2].description` → tool 2), if any. */
export function listItem(message: JsonRpcMessage, path: string): { kind: string; name: string; value: unknown } | undefined {
  const m = LIST_ITEM.exec(path);
  if (m?.[1] === undefined || m[2] === undefined) return undefined;
  const result = message.result;
  const list = result !== null && typeof result === 'object' && !Array.isArray(result) ? result[m[1]] : undefined;
  const value: unknown = Array.isArray(list) ? list[Number(m[2])] : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  const name = m[1] === 'resourceTemplates' ? o['uriTemplate'] : o['name'];
  return { kind: m[1], name: typeof name === 'string' ? name : `#${m[2]}`, value };
}

/**
 * A name, method or path as shown to the person: control, zero-width and bidi
 * characters replaced (a hostile server names its own tools), at most
 * {@link SHOWN_CHARS} characters, JSON-quoted when `quote`.
 */
export function shownText(text: string, quote = true): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g, '?');
  const short = [...clean].length > SHOWN_CHARS ? `${[...clean].slice(0, SHOWN_CHARS).join('')}…` : clean;
  return quote ? JSON.stringify(short) : short;
}

/**
 * The question's message: what the frame is, what was found where, with each
 * finding's masked preview (never the matched text), e.g.
 * `mcp-guard: the tools/call request to tool "send" has a credential (github-classic-pat at params.arguments.body: ghp_…[40 chars]). Allow it?`
 */
export function questionText(frame: HeldFrame, findings: readonly Finding[]): string {
  const names = frame.verdict.secretNames ?? [];
  const { direction, message } = frame.input;
  const method = methodOf(frame) ?? 'message';
  const tool = frame.tool !== undefined ? ` tool ${shownText(maskAll(frame.tool, names))}` : '';
  const items = [...new Set(findings.map((f) => listItem(message, f.path)).filter((i) => i !== undefined).map((i) => shownText(maskAll(i.name, names))))];
  let what: string;
  if (items.length > 0) what = `the server's ${shownText(method, false)} lists ${items.slice(0, NAMED).join(', ')}${items.length > NAMED ? ` and ${items.length - NAMED} more` : ''}, with`;
  else if (frame.kind === 'request') what = `the ${shownText(method, false)} request${direction === 'client-to-server' ? ` to${tool}` : ' from the server'} has`;
  else if (frame.kind === 'response') what = `the ${direction === 'server-to-client' ? 'server' : 'client'}'s response to ${shownText(method, false)}${tool !== '' ? ` (${tool.trim()})` : ''} has`;
  else what = `a ${shownText(method, false)} notification from the ${direction === 'server-to-client' ? 'server' : 'client'} has`;
  const cats = [...new Set(findings.map((f) => WORDS[f.category]))].join(', ');
  const detail = findings
    .slice(0, NAMED)
    .map((f) => `${f.rule} at ${f.path === '' ? 'the frame' : shownText(f.path, false)}${f.masked !== undefined ? `: ${f.masked}` : ''}`)
    .join('; ');
  const more = findings.length > NAMED ? `; +${findings.length - NAMED} more` : '';
  const ask = items.length > 0 ? 'Show it to the agent?' : 'Allow it?';
  return `mcp-guard: ${what} ${cats} (${detail}${more}). ${ask}`;
}
