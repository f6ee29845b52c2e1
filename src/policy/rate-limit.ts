/**
 * Rate limits: token buckets per tool and per session, in memory per proxy
 * process. A bucket holds `burst` calls and refills at `perMinute / 60` calls
 * per second.
 */
import type { Rate } from './config.js';

/** One token bucket. */
export class TokenBucket {
  readonly #rate: Rate;
  #tokens: number;
  #at: number;

  /** @param now the clock, ms */
  constructor(rate: Rate, now: number) {
    this.#rate = rate;
    this.#tokens = rate.burst;
    this.#at = now;
  }

  /**
   * Take one call's token.
   * @returns 0 when taken, else the seconds (rounded up, at least 1) until a token is free
   */
  take(now: number): number {
    const perMs = this.#rate.perMinute / 60_000;
    this.#tokens = Math.min(this.#rate.burst, this.#tokens + Math.max(0, now - this.#at) * perMs);
    this.#at = now;
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.#tokens) / perMs / 1000));
  }
}

/** Tool buckets kept at most; past it the oldest is dropped (a server with more tools than this is unusual). */
const MAX_BUCKETS = 1024;

/** The session's limits. */
export class RateLimiter {
  readonly #session: TokenBucket | undefined;
  readonly #rules: ReadonlyArray<Rate & { readonly tool: string; readonly re: RegExp }>;
  readonly #buckets = new Map<string, TokenBucket>();

  constructor(limits: { readonly session?: Rate; readonly tools: ReadonlyArray<Rate & { readonly tool: string }> }, now: number) {
    this.#session = limits.session ? new TokenBucket(limits.session, now) : undefined;
    this.#rules = limits.tools.map((r) => ({ ...r, re: new RegExp(`^${r.tool.split('*').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`) }));
  }

  /** True when some limit is configured. */
  get active(): boolean {
    return this.#session !== undefined || this.#rules.length > 0;
  }

  /**
   * Count one call of `tool`.
   * @returns undefined when allowed, else which limit and the seconds to wait
   */
  take(tool: string, now: number): { limit: 'session' | 'tool'; retryAfter: number } | undefined {
    const rule = this.#rules.find((r) => r.re.test(tool));
    if (rule) {
      let b = this.#buckets.get(tool);
      if (!b) {
        if (this.#buckets.size >= MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value as string);
        b = new TokenBucket(rule, now);
        this.#buckets.set(tool, b);
      }
      const wait = b.take(now);
      if (wait > 0) return { limit: 'tool', retryAfter: wait };
    }
    const wait = this.#session?.take(now) ?? 0;
    return wait > 0 ? { limit: 'session', retryAfter: wait } : undefined;
  }
}
