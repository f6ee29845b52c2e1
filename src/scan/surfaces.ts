/**
 * Everything a server sends that reaches the model, as one concatenated text
 * with a segment map (see response-text.ts). Shapes follow the MCP spec
 * (2025-06-18 and 2025-11-25): Lifecycle (`initialize` result `instructions`),
 * Server features (prompts, resources, tools, completion, logging), Client
 * features (sampling, elicitation), and Tasks (`tasks/result`). Protocol
 * 2026-07-28's `InputRequiredResult.inputRequests` are scanned like the
 * sampling / elicitation requests they carry. Unknown methods and fields are
 * not extracted (they pass untouched) but a JSON-RPC error is always scanned.
 * Free-form JSON (`structuredContent`, log `data`, `error.data`) is read whole:
 * values and object keys. Base64 blobs are read when they are text (see
 * `blobText` in response-text.ts).
 */
import { collectStrings, joinPath } from './json-walk.js';
import { TextCollector, addBlob, addContentBlocks, type ExtractedText } from './response-text.js';
import { TOOL_TOO_DEEP, walkTool } from './tool-text.js';
import type { JsonRpcMessage, ScanInput } from './types.js';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (c: TextCollector, o: Obj, key: string, base: string): void => {
  const v = o[key];
  if (typeof v === 'string') c.add(joinPath(base, key), v);
};
/**
 * The path of the object holding key `k`, given the key's path (undoes joinPath's last step), so a
 * finding on a key names the object, never the key's own text (which may be a credential).
 */
function holderOf(path: string, k: string): string {
  const parent = path.slice(0, path.length - joinPath('', k).length);
  return parent.endsWith('.') ? parent.slice(0, -1) : parent;
}

// Keys are read too (they reach the model as much as values do) but cannot be redacted in place.
const allStrings = (c: TextCollector, v: unknown, base: string): void => {
  for (const leaf of collectStrings(v, base)) {
    if (leaf.isKey) c.add(holderOf(leaf.path, leaf.value), leaf.value, true);
    else c.add(leaf.path, leaf.value);
  }
};
const each = (v: unknown, base: string, fn: (o: Obj, path: string) => void): void => {
  if (Array.isArray(v)) v.forEach((x, i) => isObj(x) && fn(x, joinPath(base, i)));
};

function toolResult(c: TextCollector, r: Obj, base: string): void {
  addContentBlocks(c, r['content'], joinPath(base, 'content'));
  if (r['structuredContent'] !== undefined) allStrings(c, r['structuredContent'], joinPath(base, 'structuredContent'));
}

/** A task's `statusMessage` (MCP 2025-11-25, Basic § Utilities › Tasks, "Task"). */
function taskTexts(c: TextCollector, task: unknown, base: string): void {
  if (isObj(task)) str(c, task, 'statusMessage', base);
}

function promptMessages(c: TextCollector, messages: unknown, base: string): void {
  each(messages, base, (m, p) => {
    const content = m['content'];
    if (Array.isArray(content)) addContentBlocks(c, content, joinPath(p, 'content'));
    else if (isObj(content)) addContentBlocks(c, [content], joinPath(p, 'content'));
  });
}

function resourceContents(c: TextCollector, contents: unknown, base: string): void {
  each(contents, base, (r, p) => {
    str(c, r, 'text', p);
    addBlob(c, joinPath(p, 'blob'), r['blob'], r['mimeType']);
  });
}

function schemaTexts(c: TextCollector, schema: unknown, base: string): void {
  // Elicitation schemas are flat (MCP 2025-06-18, Client features § Elicitation): titles, descriptions, enum names.
  if (!isObj(schema)) return;
  str(c, schema, 'title', base);
  str(c, schema, 'description', base);
  const props = schema['properties'];
  if (isObj(props)) {
    for (const [name, p] of Object.entries(props)) {
      if (!isObj(p)) continue;
      const pp = joinPath(joinPath(base, 'properties'), name);
      for (const k of ['title', 'description', 'default']) str(c, p, k, pp);
      for (const k of ['enum', 'enumNames', 'oneOf', 'anyOf']) if (p[k] !== undefined) allStrings(c, p[k], joinPath(pp, k));
    }
  }
}

/** Texts of a server → client request's params (sampling, elicitation). */
function serverRequest(c: TextCollector, method: string, params: unknown, base: string): void {
  if (!isObj(params)) return;
  if (method === 'sampling/createMessage') {
    promptMessages(c, params['messages'], joinPath(base, 'messages'));
    str(c, params, 'systemPrompt', base);
    each(params['tools'], joinPath(base, 'tools'), (t, p) => {
      const walk = walkTool(t, p);
      for (const tt of walk.texts) c.add(tt.isKey ? holderOf(tt.path, tt.value) : tt.path, tt.value, tt.isKey);
      if (walk.tooDeep !== undefined) c.unreadable({ rule: TOOL_TOO_DEEP, category: 'tool-poisoning', severity: 'high', path: p });
    });
  } else if (method === 'elicitation/create') {
    str(c, params, 'message', base);
    str(c, params, 'url', base);
    schemaTexts(c, params['requestedSchema'], joinPath(base, 'requestedSchema'));
  }
}

function resultTexts(c: TextCollector, method: string | undefined, r: Obj): void {
  switch (method) {
    case 'initialize':
      str(c, r, 'instructions', 'result');
      break;
    case 'tools/call':
    case 'tasks/result':
      toolResult(c, r, 'result');
      break;
    case 'prompts/list':
      each(r['prompts'], 'result.prompts', (p, path) => {
        for (const k of ['name', 'title', 'description']) str(c, p, k, path);
        each(p['arguments'], joinPath(path, 'arguments'), (a, ap) => {
          for (const k of ['name', 'title', 'description']) str(c, a, k, ap);
        });
      });
      break;
    case 'prompts/get':
      str(c, r, 'description', 'result');
      promptMessages(c, r['messages'], 'result.messages');
      break;
    case 'resources/list':
      each(r['resources'], 'result.resources', (x, p) => ['name', 'title', 'description'].forEach((k) => str(c, x, k, p)));
      break;
    case 'resources/templates/list':
      each(r['resourceTemplates'], 'result.resourceTemplates', (x, p) => ['name', 'title', 'description'].forEach((k) => str(c, x, k, p)));
      break;
    case 'resources/read':
      resourceContents(c, r['contents'], 'result.contents');
      break;
    case 'completion/complete':
      if (isObj(r['completion'])) allStrings(c, r['completion']['values'], 'result.completion.values');
      break;
    case 'tasks/get':
    case 'tasks/cancel':
      taskTexts(c, r, 'result');
      break;
    case 'tasks/list':
      each(r['tasks'], 'result.tasks', (t, p) => taskTexts(c, t, p));
      break;
    case undefined:
      // An unpaired response (replays, or an id we never saw): scan tool-result shapes anyway.
      toolResult(c, r, 'result');
      break;
    default:
      break;
  }
  // A task-augmented request is answered with a CreateTaskResult (MCP 2025-11-25).
  taskTexts(c, r['task'], 'result.task');
  // Protocol 2026-07-28: a result may ask the client for input before it completes.
  each(r['inputRequests'], 'result.inputRequests', (req, p) => {
    if (typeof req['method'] === 'string') serverRequest(c, req['method'], req['params'], joinPath(p, 'params'));
  });
}

/**
 * Texts of a server → client notification (MCP 2025-11-25): log `data`,
 * progress `message`, cancellation `reason`, a task's `statusMessage`, an
 * updated resource's `uri`. The `list_changed` notifications and
 * `notifications/elicitation/complete` carry no text.
 */
function notificationTexts(c: TextCollector, method: string, params: unknown): void {
  if (!isObj(params)) return;
  switch (method) {
    case 'notifications/message':
      allStrings(c, params['data'], 'params.data');
      break;
    case 'notifications/progress':
      str(c, params, 'message', 'params');
      break;
    case 'notifications/cancelled':
      str(c, params, 'reason', 'params');
      break;
    case 'notifications/tasks/status':
      taskTexts(c, params, 'params');
      break;
    case 'notifications/resources/updated':
      str(c, params, 'uri', 'params');
      break;
    default:
      break;
  }
}

/**
 * Model-visible text of a server → client frame: a response (by the method it
 * answers), a notification (see notificationTexts), or a request
 * (`sampling/createMessage`, `elicitation/create`). `tools/list` is left to the
 * tool-poisoning scanner.
 */
export function extractServerText(input: ScanInput): ExtractedText {
  const c = new TextCollector();
  const m: JsonRpcMessage = input.message;
  if (m.method !== undefined) {
    // Both: a notification's method sent with an id is still shown by some clients.
    notificationTexts(c, m.method, m.params);
    if ('id' in m) serverRequest(c, m.method, m.params, 'params');
    return c.done();
  }
  const method = input.context?.method;
  if (isObj(m.result) && method !== 'tools/list') resultTexts(c, method, m.result);
  const err = m.error;
  if (isObj(err)) {
    if (typeof err['message'] === 'string') c.add('error.message', err['message']);
    if (err['data'] !== undefined) allStrings(c, err['data'], 'error.data');
  }
  return c.done();
}
