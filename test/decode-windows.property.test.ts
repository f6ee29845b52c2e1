/**
 * Decoded views rescanned in windows (src/scan/decoders.ts `unescapeWindows`):
 * only the parts of an escape-decoded view around the characters a decoder
 * changed are rescanned, the rest being the input text itself. This checks
 * that nothing is lost by it: a secret (every DLP rule's match examples) planted
 * anywhere in long random benign text, under a random encoding, is still
 * found, in a request and in a response, while escapes elsewhere in the text
 * make the decoders change things far from it (so the windows are not the
 * whole view); and that the windows hold every changed character.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { loadRulePacks } from '../src/scan/rule-pack.js';
import { ScanChain } from '../src/scan/chain.js';
import { normalizeConfig } from '../src/config/normalize.js';
import { UNESCAPE_CONTEXT, afterEdits, decodeAll, unescapeWindows } from '../src/scan/decoders.js';
import type { JsonRpcMessage, ScanInput } from '../src/scan/types.js';
import { runs } from './fast-check-runs.js';

const rules = loadRulePacks();
const chain = new ScanChain({ config: normalizeConfig({}), rules, env: {}, models: null });
const dlp = rules.filter((r) => r.category === 'dlp');
const inResponses = new Set(dlp.filter((r) => (r.severity === 'high' || r.severity === 'critical') && r.spec.in_responses !== false).map((r) => r.id));

const percent = (t: string): string => [...Buffer.from(t, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
const ENCODINGS: Record<string, (t: string) => string> = {
  url: percent,
  'double url': (t) => percent(percent(t)),
  'html entities': (t) => [...t].map((c) => `&#${c.codePointAt(0)};`).join(''),
  '\\u escapes': (t) => Array.from({ length: t.length }, (_v, i) => `\\u${t.charCodeAt(i).toString(16).padStart(4, '0')}`).join(''),
  'json in a string': (t) => JSON.stringify(JSON.stringify({ note: t })),
  'url, one character': (t) => `${t.slice(0, 1)}${percent(t.slice(1, 2))}${t.slice(2)}`,
  rot13: (t) => t.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) - (c <= 'Z' ? 65 : 97) + 13) % 26) + (c <= 'Z' ? 65 : 97))),
  reversed: (t) => [...t].reverse().join(''),
};

// Benign filler: words, punctuation, line breaks, and escapes of every kind the unescape decoders read.
const WORDS = 'the report was sent to the team on monday and the build passed after two retries while logs were archived'.split(' ');
const NOISE = ['&amp;', '%20', '\\"quoted\\"', '"a\\nb"', '\\u00e9', '&lt;b&gt;', 'caf%C3%A9'];
const filler = fc.array(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...WORDS) }, { weight: 2, arbitrary: fc.constantFrom('.', ',', '\n') }, { weight: 1, arbitrary: fc.constantFrom(...NOISE) }), { minLength: 300, maxLength: 900 });

const examples = dlp.flatMap((r) => r.spec.examples.match.map((e) => ({ rule: r.id, example: e })));
const request = (text: string): ScanInput => ({ direction: 'client-to-server', message: { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'save_note', arguments: { text } } } as JsonRpcMessage });
const response = (text: string): ScanInput => ({
  direction: 'server-to-client',
  message: { jsonrpc: '2.0', id: 1, result: { content: [{ type: 'text', text }] } } as JsonRpcMessage,
  context: { method: 'tools/call', tool: 'read_file' },
});
const found = (input: ScanInput, rule: string): boolean => chain.evaluate(input).findings.some((f) => f.rule === rule);

describe('decoded views rescanned in windows', () => {
  it('a secret planted anywhere in long benign text with escapes, under a random encoding, is still found', () => {
    let windowed = 0;
    fc.assert(
      fc.property(fc.constantFrom(...examples), fc.constantFrom(...Object.keys(ENCODINGS)), filler, fc.double({ min: 0, max: 1, noNaN: true }), ({ rule, example }, how, words, where) => {
        const at = Math.floor(where * words.length);
        const plain = [...words.slice(0, at), example, ...words.slice(at)].join(' ');
        // Rules that need their example alone (anchored, or a whole block) are held to what they find plain.
        if (!found(request(plain), rule)) return;
        // ROT13 and reversal are tried only on text with a token-like run (decoders.ts TOKENISH), as before.
        if ((how === 'rot13' || how === 'reversed') && !/[A-Za-z0-9_-]{16,}/.test(example)) return;
        const text = [...words.slice(0, at), (ENCODINGS[how] as (t: string) => string)(example), ...words.slice(at)].join(' ');
        if (decodeAll(text).some((v) => v.text.length < text.length / 2)) windowed++;
        expect(found(request(text), rule), `${rule} ${how} in a request`).toBe(true);
        if (inResponses.has(rule) && found(response(plain), rule)) expect(found(response(text), rule), `${rule} ${how} in a response`).toBe(true);
      }),
      { numRuns: runs(200) },
    );
    // The property means something only if the views were cut into windows in many runs (about 40 % of
    // them are; the bound leaves room for the random draw).
    expect(windowed).toBeGreaterThan(runs(200) / 8);
  });

  it('every character a decoder changed is inside a window', () => {
    // Replace random disjoint spans of random text in a few passes, track the dirty ranges, and compare with
    // the characters that really changed: each output character outside the ranges maps to an unchanged input one.
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), fc.array(fc.array(fc.tuple(fc.nat(300), fc.nat(6), fc.string({ maxLength: 5 })), { maxLength: 8 }), { minLength: 1, maxLength: 4 }), (input, passes) => {
        let text = input;
        // origin[i]: the input offset a character of `text` is unchanged from, or -1.
        let origin = Array.from({ length: text.length }, (_v, i) => i);
        let dirty: number[] = [];
        for (const pass of passes) {
          const edits: number[] = [];
          let out = '';
          const nextOrigin: number[] = [];
          let last = 0;
          for (const [pos, len, rep] of [...pass].sort((a, b) => a[0] - b[0])) {
            const a = Math.max(last, Math.min(pos, text.length));
            const b = Math.min(text.length, a + len);
            if (b === a && rep.length === 0) continue;
            out += text.slice(last, a);
            nextOrigin.push(...origin.slice(last, a));
            edits.push(a, b, rep.length);
            out += rep;
            nextOrigin.push(...Array.from({ length: rep.length }, () => -1));
            last = b;
          }
          out += text.slice(last);
          nextOrigin.push(...origin.slice(last));
          dirty = afterEdits(dirty, edits);
          text = out;
          origin = nextOrigin;
        }
        const inside = (i: number): boolean => {
          for (let d = 0; d < dirty.length; d += 2) if (i >= (dirty[d] as number) && i < (dirty[d + 1] as number)) return true;
          return false;
        };
        for (let i = 0; i < text.length; i++) if (origin[i] === -1) expect(inside(i), `offset ${i}`).toBe(true);
        // And the windows hold every dirty range with its context.
        const w = unescapeWindows(text, dirty);
        for (let d = 0; d < dirty.length; d += 2) {
          const a = Math.max(0, (dirty[d] as number) - UNESCAPE_CONTEXT);
          const b = Math.min(text.length, (dirty[d + 1] as number) + UNESCAPE_CONTEXT);
          let held = false;
          for (let k = 0; k < w.length; k += 2) if ((w[k] as number) <= a && (w[k + 1] as number) >= b) held = true;
          expect(held).toBe(true);
        }
      }),
      { numRuns: runs(500) },
    );
  });
});
