/** Property: a pin ignores key order, so a server that re-serialises its schema is not drift. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pinHash, toolPinDefinition } from '../../src/pins/store.js';

/** `value` rebuilt with every object's keys in an order drawn from `rand` (own data properties only). */
function reorder(value: unknown, rand: () => number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorder(v, rand));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  for (let i = keys.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [keys[i], keys[j]] = [keys[j] as string, keys[i] as string];
  }
  const out: Record<string, unknown> = {};
  // defineProperty, so a generated `__proto__` key stays a key
  for (const k of keys) Object.defineProperty(out, k, { value: reorder((value as Record<string, unknown>)[k], rand), enumerable: true, writable: true, configurable: true });
  return out;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const json = fc.jsonValue({ maxDepth: 4 });
const tool = fc.record(
  {
    name: fc.string(),
    title: fc.string(),
    description: fc.string(),
    inputSchema: fc.record({ type: fc.constant('object'), properties: fc.dictionary(fc.string(), json), required: fc.array(fc.string()) }, { requiredKeys: ['type'] }),
    outputSchema: json,
    annotations: fc.dictionary(fc.string(), json),
    _meta: json,
    icons: json,
  },
  { requiredKeys: ['name'] },
);

describe('pinHash(toolPinDefinition(tool))', () => {
  it('does not depend on key order at any depth', () => {
    fc.assert(
      fc.property(tool, fc.integer(), (t, seed) => {
        expect(pinHash(toolPinDefinition(reorder(t, seeded(seed))))).toBe(pinHash(toolPinDefinition(t)));
      }),
      { numRuns: 300 },
    );
  });

  it('ignores fields outside the pin (_meta, icons) and changes when a pinned field changes', () => {
    fc.assert(
      fc.property(tool, json, fc.string(), (t, meta, extra) => {
        const base = pinHash(toolPinDefinition(t));
        expect(pinHash(toolPinDefinition({ ...t, _meta: meta, icons: meta }))).toBe(base);
        expect(pinHash(toolPinDefinition({ ...t, description: `${t.description ?? ''}${extra}!` }))).not.toBe(base);
      }),
      { numRuns: 200 },
    );
  });
});
