import { act, render } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { vi } from 'vitest';
import { StaffApp } from '../StaffApp';
import { NOW } from './fakeStaffServer';

/** Fake timers at NOW, with the shim Testing Library needs to wait under them. */
export function useFakeClock(): void {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
  vi.stubGlobal('jest', { advanceTimersByTime: (ms: number) => vi.advanceTimersByTime(ms) });
}

/** Lets pending promises settle and React render, without moving the clock. */
export async function settle(): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(0);
  });
}

export async function advance(ms: number): Promise<void> {
  await act(async () => {
    await vi.advanceTimersByTimeAsync(ms);
  });
}

/** The inbox at `url` (e.g. '/staff/?ticket=TKT-0001'), settled, with a user driving it. */
export async function renderInbox(url = '/staff/', pollIntervalMs = 5000) {
  window.history.replaceState(null, '', url);
  const view = render(<StaffApp pollIntervalMs={pollIntervalMs} />);
  await settle();
  const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
  return { ...view, user };
}

/** Makes the page hidden or visible, as switching tabs does. */
export async function setHidden(hidden: boolean): Promise<void> {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
  await act(async () => {
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(0);
  });
}

/** Undoes `setHidden`: the page's own visibility again. */
export function restoreVisibility(): void {
  Reflect.deleteProperty(document, 'hidden');
  Reflect.deleteProperty(document, 'visibilityState');
}
