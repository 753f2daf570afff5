import { act, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonResponse, stubFetch } from '../test/helpers';

afterEach(() => {
  document.body.innerHTML = '';
});

describe('mounting the inbox (staff/main.tsx)', () => {
  it('mounts into #root and asks the same origin for the session, with the cookie', async () => {
    document.body.innerHTML = '<div id="root"></div>';
    window.history.replaceState(null, '', '/staff/');
    const fetch = stubFetch(() => Promise.resolve(jsonResponse(401, { detail: 'sign in first' })));
    vi.resetModules();
    await act(async () => {
      await import('./main');
    });
    expect(await screen.findByRole('heading', { name: 'Sign in to the support inbox' })).toBeInTheDocument();
    expect(String(fetch.mock.calls[0]?.[0])).toBe('/api/v1/staff/session');
    expect(fetch.mock.calls[0]?.[1]?.credentials).toBe('same-origin');
    expect(document.querySelector('main')).not.toBeNull();
  });
});
