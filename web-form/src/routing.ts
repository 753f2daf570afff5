/**
 * Query-string routing (no router library), chosen so it also works when the
 * widget is embedded in a page that uses its own query parameters:
 *
 *   ?                                  → the support form
 *   ?view=status                       → ticket lookup form (number + access token)
 *   ?ticket=TKT-0001#token=…           → status of that ticket (StatusChecker)
 *   ?ticket=TKT-0001 (no token)        → lookup form, ticket number pre-filled
 *   ?ticket=TKT-0001&rate=email#token=… → the same status page, from our email's rating link
 *
 * The access token lives in the URL fragment, which browsers never send to a
 * server nor put in a Referer: no access log or third party sees it. An old
 * link with `?token=…` still opens the ticket; the token is moved into the
 * fragment at once (history.replaceState). Other query parameters of the host
 * page are left untouched.
 */
import { useEffect, useState } from 'react';
import type { RatingChannel } from './api';

export type Route =
  | { view: 'form' }
  | { view: 'lookup'; ticket: string; token: string }
  | { view: 'status'; ticket: string; token: string };

const APP_PARAMS = ['view', 'ticket', 'token', 'rate'] as const;

type Where = Pick<Location, 'pathname' | 'search' | 'hash'>;

function fragmentToken(hash: string): string {
  return (new URLSearchParams(hash.replace(/^#/, '')).get('token') ?? '').trim();
}

export function parseRoute(search: string, hash = ''): Route {
  const params = new URLSearchParams(search);
  const ticket = (params.get('ticket') ?? '').trim();
  const token = fragmentToken(hash) || (params.get('token') ?? '').trim();
  if (ticket !== '' && token !== '') return { view: 'status', ticket, token };
  if (params.get('view') === 'status' || params.has('ticket') || params.has('token') || token !== '') {
    return { view: 'lookup', ticket, token };
  }
  return { view: 'form' };
}

/** Where the customer came to rate from: our email's link says `rate=email`; else the page itself. */
export function ratingChannelOf(search: string): RatingChannel {
  return new URLSearchParams(search).get('rate') === 'email' ? 'email' : 'web_form';
}

/** A same-document href for a route, keeping the host page's own query parameters. */
export function hrefFor(route: Route, location: Pick<Location, 'pathname' | 'search'> = window.location): string {
  const params = new URLSearchParams(location.search);
  for (const name of APP_PARAMS) params.delete(name);
  if (route.view === 'status') {
    params.set('ticket', route.ticket);
  } else if (route.view === 'lookup') {
    params.set('view', 'status');
    if (route.ticket !== '') params.set('ticket', route.ticket);
  }
  const query = params.toString();
  const fragment = route.view === 'status' ? `#${new URLSearchParams({ token: route.token }).toString()}` : '';
  return `${location.pathname}${query === '' ? '' : `?${query}`}${fragment}`;
}

export function statusHref(ticket: string, token: string): string {
  return hrefFor({ view: 'status', ticket, token });
}

/**
 * The href an old-style link (`?token=…`) should have now: the token moved
 * into the fragment, or null when there is nothing to move.
 */
export function withTokenInFragment(location: Where): string | null {
  const params = new URLSearchParams(location.search);
  const legacy = (params.get('token') ?? '').trim();
  if (!params.has('token')) return null;
  params.delete('token');
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  if (!fragment.get('token') && legacy !== '') fragment.set('token', legacy);
  const query = params.toString();
  const hash = fragment.toString();
  return `${location.pathname}${query === '' ? '' : `?${query}`}${hash === '' ? '' : `#${hash}`}`;
}

/** Moves a `?token=` into the fragment in place, so it leaves the address bar's query. */
function moveTokenToFragment(): void {
  const href = withTokenInFragment(window.location);
  if (href !== null) window.history.replaceState(window.history.state, '', href);
}

/** Fired by `navigate`, so every route hook (the support page's, the inbox's) updates. */
export const NAVIGATE_EVENT = 'fte:navigate';

export function navigate(href: string): void {
  window.history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
}

function currentRoute(): Route {
  moveTokenToFragment();
  return parseRoute(window.location.search, window.location.hash);
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const update = () => setRoute(currentRoute());
    window.addEventListener('popstate', update);
    window.addEventListener('hashchange', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('hashchange', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return route;
}
