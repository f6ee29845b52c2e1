/**
 * Config of the `ask` action (the `approvals` section): how long the proxy waits
 * for a person's answer to its `elicitation/create` question, and how many frames
 * may wait at once. The section is mcp-guard's own: Pipelock's top-level `ask`
 * and `hitl` keys mean something else and stay ignored (schema.ts).
 */
import type * as Zod from 'zod';

/** Default `approvals.ask_timeout`, seconds. */
export const DEFAULT_ASK_TIMEOUT_S = 60;
/** Default `approvals.max_waiting`. */
export const DEFAULT_MAX_WAITING = 8;

/** The `approvals` section's zod schema (optional). */
export function approvalsSchema(z: typeof Zod) {
  return z
    .strictObject({
      /**
       * Seconds a held frame waits for the person's answer; past it the frame is blocked
       * (and the question cancelled). @default 60
       */
      ask_timeout: z.number().gt(0).lte(3600).optional(),
      /** Frames that may wait for an answer at once; one more is blocked without asking. @default 8 */
      max_waiting: z.number().int().min(1).max(1024).optional(),
    })
    .optional();
}

/** The `ask` action's settings, normalised. */
export interface AskConfig {
  /** How long a question waits for its answer, ms. */
  readonly timeoutMs: number;
  /** Frames held for an answer at once, at most. */
  readonly maxWaiting: number;
}

/** Defaults applied to the section as written. */
export function normalizeAsk(raw: { ask_timeout?: number | undefined; max_waiting?: number | undefined } | undefined): AskConfig {
  return {
    timeoutMs: Math.round((raw?.ask_timeout ?? DEFAULT_ASK_TIMEOUT_S) * 1000),
    maxWaiting: raw?.max_waiting ?? DEFAULT_MAX_WAITING,
  };
}
