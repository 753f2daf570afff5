/**
 * Query-string routing (no router library), chosen so it also works when the
 * widget is embedded in a page that uses its own #anchors:
 *
 *   ?                                  → the support form
 *   ?view=status                       → ticket lookup form (number + access token)
 *   ?ticket=TKT-0001&token=…           → status of that ticket (StatusChecker)
 *   ?ticket=TKT-0001 (no token)        → lookup form, ticket number pre-filled
 *
 * Other query parameters of the host page are left untouched.
 */
import { useEffect, useState } from 'react';

export type Route =
  | { view: 'form' }
  | { view: 'lookup'; ticket: string; token: string }
  | { view: 'status'; ticket: string; token: string };

const APP_PARAMS = ['view', 'ticket', 'token'] as const;

export function parseRoute(search: string): Route {
  const params = new URLSearchParams(search);
  const ticket = (params.get('ticket') ?? '').trim();
  const token = (params.get('token') ?? '').trim();
  if (ticket !== '' && token !== '') return { view: 'status', ticket, token };
  if (params.get('view') === 'status' || params.has('ticket') || params.has('token')) {
    return { view: 'lookup', ticket, token };
  }
  return { view: 'form' };
}

/** A same-document href (path + query) for a route, keeping the host page's own parameters. */
export function hrefFor(route: Route, location: Pick<Location, 'pathname' | 'search'> = window.location): string {
  const params = new URLSearchParams(location.search);
  for (const name of APP_PARAMS) params.delete(name);
  if (route.view === 'status') {
    params.set('ticket', route.ticket);
    params.set('token', route.token);
  } else if (route.view === 'lookup') {
    params.set('view', 'status');
    if (route.ticket !== '') params.set('ticket', route.ticket);
  }
  const query = params.toString();
  return `${location.pathname}${query === '' ? '' : `?${query}`}`;
}

export function statusHref(ticket: string, token: string): string {
  return hrefFor({ view: 'status', ticket, token });
}

const NAVIGATE_EVENT = 'fte:navigate';

export function navigate(href: string): void {
  window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

export function useRoute(): Route {
  const [search, setSearch] = useState(() => window.location.search);
  useEffect(() => {
    const update = () => setSearch(window.location.search);
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return parseRoute(search);
}
