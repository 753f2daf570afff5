import { useCallback, useEffect, useRef } from 'react';

export type Load = (signal: AbortSignal) => Promise<void>;

/**
 * Calls `load` now and then `intervalMs` after each call settles, while the page
 * is visible: hidden, it stops (no timer, the request in flight aborted); shown
 * again, it loads at once and carries on. Unmounting (signing out, leaving the
 * view) stops it for good. `restartKey` starts over (a new view or ticket);
 * the returned `refresh` loads now (after an action) and resets the interval.
 */
export function usePolling(load: Load, intervalMs: number, restartKey: string): () => void {
  const loadRef = useRef(load);
  loadRef.current = load;
  const refreshRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let controller: AbortController | null = null;
    let stopped = false;

    const halt = () => {
      clearTimeout(timer);
      timer = undefined;
      controller?.abort();
      controller = null;
    };

    const run = async () => {
      halt();
      if (stopped || document.hidden) return;
      const own = new AbortController();
      controller = own;
      try {
        await loadRef.current(own.signal);
      } catch {
        // `load` reports its own errors; polling carries on.
      }
      if (stopped || controller !== own) return; // halted, or a newer run took over
      controller = null;
      timer = setTimeout(() => void run(), intervalMs);
    };

    const onVisibility = () => {
      if (document.hidden) halt();
      else void run();
    };

    refreshRef.current = () => void run();
    document.addEventListener('visibilitychange', onVisibility);
    void run();
    return () => {
      stopped = true;
      halt();
      document.removeEventListener('visibilitychange', onVisibility);
      refreshRef.current = () => undefined;
    };
  }, [intervalMs, restartKey]);

  return useCallback(() => refreshRef.current(), []);
}
