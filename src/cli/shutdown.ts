/**
 * SIGTERM / SIGINT for long-running commands: the first signal starts a
 * graceful stop (resolves `received`); a second one while stopping exits at
 * once with 130. Returns a function that removes the handlers.
 */
import { EXIT } from './exit-codes.js';

export interface ShutdownSignal {
  /** Resolves with the signal's name when the first signal arrives. */
  readonly received: Promise<NodeJS.Signals>;
  /** Removes the handlers (call once stopped). */
  dispose(): void;
}

/**
 * A repeat within this long is taken as the same request delivered twice
 * (a terminal signals the whole process group, and wrappers such as npm or
 * tsx relay it again), not as an impatient second Ctrl-C.
 */
const REPEAT_IGNORE_MS = 500;

export function waitForShutdownSignal(onForce: (signal: NodeJS.Signals) => void): ShutdownSignal {
  let first: NodeJS.Signals | null = null;
  let firstAt = 0;
  let resolveReceived!: (s: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const handler = (signal: NodeJS.Signals): void => {
    if (first === null) {
      first = signal;
      firstAt = Date.now();
      resolveReceived(signal);
      return;
    }
    if (Date.now() - firstAt < REPEAT_IGNORE_MS) return;
    onForce(signal);
    process.exit(EXIT.INTERRUPTED);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    received,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
