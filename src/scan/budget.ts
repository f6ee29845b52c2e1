/**
 * The work budget of one frame's scan. Normalisation can grow text (NFKC maps
 * U+FDFA to 18 characters) and costs far more per character than an RE2 pass,
 * so a hostile frame could stall both directions of the relay for seconds. The
 * chain starts a budget for each frame; a step that would go past it throws
 * {@link ScanLimitError}, and the chain turns that into a `scan-limit-*` finding (the frame is blocked, or forwarded with a warning when
 * `limits.on_scan_limit` is `warn`). JavaScript runs one scan at a time, so one
 * module-level budget is enough.
 */

/** Default characters (UTF-16 units, input plus growth) normalised per frame: 1 MiB. */
export const DEFAULT_NORMALIZE_CHARS = 1 << 20;

/** A per-frame scan limit was reached; `rule` names it (`scan-limit-normalize`). */
export class ScanLimitError extends Error {
  readonly rule: string;
  constructor(rule: string, message: string) {
    super(message);
    this.name = 'ScanLimitError';
    this.rule = rule;
  }
}

/**
 * Checksum computations (one SHA-256 of at most 33 bytes each, as the BIP-39
 * validator makes per candidate window) per frame: 64 Ki, tens of milliseconds at most.
 */
export const MAX_CHECKSUMS = 1 << 16;

let active = false;
let checksumsLeft = MAX_CHECKSUMS;
let normalizeLimit = DEFAULT_NORMALIZE_CHARS;
let normalizeLeft = DEFAULT_NORMALIZE_CHARS;

/**
 * Start a frame's budget (`ScanChain.evaluate` does, for every frame). Outside
 * a frame (a direct call to `normalizeText`) nothing is counted.
 * @param chars characters the frame may normalise
 */
export function beginFrame(chars: number): void {
  active = true;
  normalizeLimit = chars;
  normalizeLeft = chars;
  checksumsLeft = MAX_CHECKSUMS;
}

/** End the frame started by {@link beginFrame}. */
export function endFrame(): void {
  active = false;
}

/**
 * Spend `chars` of the normalisation budget.
 * @throws ScanLimitError `scan-limit-normalize` when the frame's budget is used up
 */
export function spendNormalize(chars: number): void {
  if (!active) return;
  normalizeLeft -= chars;
  if (normalizeLeft < 0) {
    normalizeLeft = 0;
    throw new ScanLimitError('scan-limit-normalize', `the frame needs more than ${normalizeLimit} characters of Unicode normalisation`);
  }
}

/**
 * Spend one checksum computation of the frame's {@link MAX_CHECKSUMS}.
 * @throws ScanLimitError `scan-limit-checksum` when the frame's budget is used up
 */
export function spendChecksum(): void {
  if (!active) return;
  if (--checksumsLeft < 0) {
    checksumsLeft = 0;
    throw new ScanLimitError('scan-limit-checksum', `the frame needs more than ${MAX_CHECKSUMS} checksum computations`);
  }
}
