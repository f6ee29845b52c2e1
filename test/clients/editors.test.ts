import { describe, expect, it } from 'vitest';
import { jsonEditor } from '../../src/clients/json-entries.js';
import { skipValue, tomlEditor } from '../../src/clients/toml-entries.js';
import type { ServerContainer } from '../../src/clients/types.js';

const servers: ServerContainer = { path: ['mcpServers'], scope: 'user' };
const codex: ServerContainer = { path: ['mcp_servers'], scope: 'user' };

describe('jsonEditor', () => {
  it('prepends to an inline array in its own style', () => {
    const text = '{"mcpServers": {"a": {"command": "npx", "args": ["-y", "pkg"]}}}';
    expect(jsonEditor.wrapCommand(text, servers, 'a', 'node', ['g', '--', 'npx'])).toBe('{"mcpServers": {"a": {"command": "node", "args": ["g", "--", "npx", "-y", "pkg"]}}}');
    const compact = '{"mcpServers":{"a":{"command":"npx","args":["-y","pkg"]}}}';
    expect(jsonEditor.wrapCommand(compact, servers, 'a', 'node', ['g'])).toBe('{"mcpServers":{"a":{"command":"node","args":["g","-y","pkg"]}}}');
  });

  it('prepends to a multi-line array with its indentation, keeping comments', () => {
    const text = '{\n\t"mcpServers": {\n\t\t"a": {\n\t\t\t"args": [\n\t\t\t\t// first\n\t\t\t\t"x"\n\t\t\t],\n\t\t\t"command": "c"\n\t\t}\n\t}\n}';
    const out = jsonEditor.wrapCommand(text, servers, 'a', 'node', ['g']);
    expect(out).toBe('{\n\t"mcpServers": {\n\t\t"a": {\n\t\t\t"args": [\n\t\t\t\t// first\n\t\t\t\t"g",\n\t\t\t\t"x"\n\t\t\t],\n\t\t\t"command": "node"\n\t\t}\n\t}\n}');
  });

  it('adds args after command when absent or empty', () => {
    const multi = '{\n  "mcpServers": {\n    "a": {\n      "command": "srv", // the server\n      "env": {}\n    }\n  }\n}\n';
    expect(jsonEditor.wrapCommand(multi, servers, 'a', 'node', ['g', '--', 'srv'])).toBe(
      '{\n  "mcpServers": {\n    "a": {\n      "command": "node",\n      "args": ["g", "--", "srv"], // the server\n      "env": {}\n    }\n  }\n}\n',
    );
    const empty = '{"mcpServers": {"a": {"command": "srv", "args": []}}}';
    expect(jsonEditor.wrapCommand(empty, servers, 'a', 'node', ['g'])).toBe('{"mcpServers": {"a": {"command": "node", "args": ["g"]}}}');
  });

  it('keeps CRLF line endings', () => {
    const text = '{\r\n  "mcpServers": {\r\n    "a": {\r\n      "command": "x",\r\n      "args": [\r\n        "y"\r\n      ]\r\n    }\r\n  }\r\n}\r\n';
    const out = jsonEditor.wrapCommand(text, servers, 'a', 'node', ['g']);
    expect(out).toBe(text.replace('"x"', '"node"').replace('        "y"', '        "g",\r\n        "y"'));
  });

  it('replaces and removes args', () => {
    const text = '{"mcpServers": {"a": {"command": "node", "args": ["g", "--", "srv"], "env": {}}}}';
    expect(jsonEditor.setCommand(text, servers, 'a', 'srv', undefined)).toBe('{"mcpServers": {"a": {"command": "srv", "env": {}}}}');
    expect(jsonEditor.setCommand(text, servers, 'a', 'srv', ['x'])).toBe('{"mcpServers": {"a": {"command": "srv", "args": ["x"], "env": {}}}}');
  });

  it('reports syntax errors with their line', () => {
    expect(() => jsonEditor.parse('{\n  "a": \n}', 'f.json')).toThrow(/cannot parse f\.json/);
    try {
      jsonEditor.parse('{\n  "a": \n}', 'f.json');
    } catch (err) {
      expect((err as { problems: string[] }).problems[0]).toMatch(/^f\.json:3:1: /);
    }
  });
});

describe('tomlEditor', () => {
  it('finds where values end', () => {
    const s = 'a = "x\\"y" # c\nb = [1, [2, "]"], { k = "}" }] # c\nc = """\nq""" \nd = \'\'\'x\'\'\'\ne = 12_000\n';
    const end = (key: string): string => {
      const i = s.indexOf(`${key} = `) + key.length + 3;
      return s.slice(i, skipValue(s, i));
    };
    expect(end('a')).toBe('"x\\"y"');
    expect(end('b')).toBe('[1, [2, "]"], { k = "}" }]');
    expect(end('c')).toBe('"""\nq"""');
    expect(end('d')).toBe("'''x'''");
    expect(end('e')).toBe('12_000');
  });

  it('edits only command and args inside the server table', () => {
    const text = '[mcp_servers.a]\ncommand = "npx" # runner\nargs = ["-y", "pkg"]\n\n[mcp_servers.a.env]\nK = "v"\n';
    const out = tomlEditor.wrapCommand(text, codex, 'a', 'C:\\node.exe', ['g', '--', 'npx']);
    expect(out).toBe('[mcp_servers.a]\ncommand = "C:\\\\node.exe" # runner\nargs = ["g", "--", "npx", "-y", "pkg"]\n\n[mcp_servers.a.env]\nK = "v"\n');
    const data = tomlEditor.parse(out, 'c.toml') as { mcp_servers: { a: { command: string; env: object } } };
    expect(data.mcp_servers.a.command).toBe('C:\\node.exe');
    expect(data.mcp_servers.a.env).toEqual({ K: 'v' });
  });

  it('adds args after command, also at the end of the file without a newline', () => {
    const text = '[mcp_servers."my server"]\nenv = { A = "1" }\ncommand = \'srv\'';
    const out = tomlEditor.wrapCommand(text, codex, 'my server', 'node', ['g']);
    expect(out).toBe('[mcp_servers."my server"]\nenv = { A = "1" }\ncommand = "node"\nargs = ["g"]');
  });

  it('reports entries not written as their own table as read-only', () => {
    const text = '[mcp_servers]\ninline = { command = "x" }\n';
    const data = tomlEditor.parse(text, 'c.toml');
    const [ref] = tomlEditor.entries(text, data, [codex]);
    expect(ref?.name).toBe('inline');
    expect(ref?.readOnly).toMatch(/not written as a \[mcp_servers\.inline\] table/);
  });

  it('spans a table from its header to its last key', () => {
    const text = '# top\n[mcp_servers.a]\ncommand = "x"\nargs = [\n  "y",\n]\n\n# next\n[mcp_servers.b]\ncommand = "z"\n';
    const refs = tomlEditor.entries(text, tomlEditor.parse(text, 'c.toml'), [codex]);
    expect(refs.map((r) => text.slice(r.offset, r.offset + r.length))).toEqual(['[mcp_servers.a]\ncommand = "x"\nargs = [\n  "y",\n]\n', '[mcp_servers.b]\ncommand = "z"\n']);
  });
});
