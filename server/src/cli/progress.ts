/**
 * A one-line progress indicator on stderr, only when stderr is a terminal and the run is long
 * enough to need it (more than a second in, or many files). Cleared before anything else is printed.
 */
export interface Progress {
  /** Redraws the line; `force` shows it even early in the run (a slow step is about to start). */
  update(text: string, force?: boolean): void;
  clear(): void;
}

const NONE: Progress = { update() {}, clear() {} };

export function createProgress(opts: { enabled: boolean; write: (s: string) => void; now?: () => number; delayMs?: number }): Progress {
  if (!opts.enabled) return NONE;
  const now = opts.now ?? (() => performance.now());
  const start = now();
  const delay = opts.delayMs ?? 1000;
  let shown = false;
  let last = 0;
  return {
    update(text: string, force = false) {
      const t = now();
      if (!force && t - start < delay) return;
      if (!force && shown && t - last < 100) return; // at most ten redraws a second
      last = t;
      shown = true;
      opts.write(`\r\x1b[K${text}`);
    },
    clear() {
      if (shown) opts.write('\r\x1b[K');
      shown = false;
    },
  };
}
