import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { LineFramer, lineToWire, type OversizedLine, type RawLine } from '../src/proxy/framer.js';

function collect(max?: number): { framer: LineFramer; lines: RawLine[]; oversized: OversizedLine[] } {
  const lines: RawLine[] = [];
  const oversized: OversizedLine[] = [];
  const framer = new LineFramer({ line: (l) => lines.push(l), oversized: (o) => oversized.push(o) }, max);
  return { framer, lines, oversized };
}

describe('LineFramer', () => {
  it('splits on \\n and keeps \\r\\n frames byte for byte', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('{"a":1}\r\n{"b":2}\n{"c"'));
    framer.push(Buffer.from(':3}\n'));
    expect(lines.map((l) => l.text)).toEqual(['{"a":1}', '{"b":2}', '{"c":3}']);
    expect(lines[0]?.eol).toBe('\r\n');
    expect(Buffer.concat(lines.map(lineToWire)).toString()).toBe('{"a":1}\r\n{"b":2}\n{"c":3}\n');
  });

  it('handles a multi-byte UTF-8 character split across chunks', () => {
    const { framer, lines } = collect();
    const bytes = Buffer.from('{"t":"é🚀"}\n');
    for (const b of bytes) framer.push(Buffer.from([b]));
    expect(lines[0]?.text).toBe('{"t":"é🚀"}');
  });

  it('drops an oversized line, reports its size and head, and keeps going', () => {
    const { framer, lines, oversized } = collect(1024);
    framer.push(Buffer.from('{"id":7,"x":"'));
    for (let i = 0; i < 100; i++) framer.push(Buffer.alloc(1000, 0x61));
    framer.push(Buffer.from('"}\n{"ok":true}\n'));
    expect(oversized).toHaveLength(1);
    expect(oversized[0]?.size).toBe(13 + 100_000 + 2);
    expect(oversized[0]?.head.toString().startsWith('{"id":7')).toBe(true);
    expect(lines.map((l) => l.text)).toEqual(['{"ok":true}']);
  });

  it('reports the unterminated remainder at end of input', () => {
    const { framer, lines } = collect();
    framer.push(Buffer.from('{"a":1}\n{"partial"'));
    expect(framer.end()).toBe(10);
    expect(lines).toHaveLength(1);
  });

  it('property: any chunking of any frames yields the same frames, byte-identical, in order', () => {
    const frame = fc
      .record({ id: fc.integer(), text: fc.string({ unit: 'grapheme', maxLength: 40 }), crlf: fc.boolean() })
      .map(({ id, text, crlf }) => `${JSON.stringify({ jsonrpc: '2.0', id, method: 'x', params: { text } })}${crlf ? '\r\n' : '\n'}`);
    fc.assert(
      fc.property(fc.array(frame, { maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 50 }), (frames, cuts) => {
        const wire = Buffer.from(frames.join(''));
        const { framer, lines } = collect();
        let at = 0;
        let i = 0;
        while (at < wire.length) {
          const n = cuts[i++ % cuts.length] as number;
          framer.push(wire.subarray(at, at + n));
          at += n;
        }
        expect(Buffer.concat(lines.map(lineToWire)).equals(wire)).toBe(true);
        expect(lines).toHaveLength(frames.length);
        // Each line's bytes are its wire bytes without the newline, whether it came in one chunk or many.
        for (const l of lines) expect(Buffer.concat([l.bytes, Buffer.from('\n')]).equals(l.wire)).toBe(true);
      }),
    );
  });
});
