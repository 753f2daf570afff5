/**
 * The inbox's routes, in the query string like the support page's, so every
 * view lives at the one path the gateway serves the inbox from (`/staff/`):
 *
 *   ?                      → the queue, waiting tickets
 *   ?view=mine | view=all  → the queue, my tickets or every ticket
 *   ?ticket=TKT-0001       → that ticket
 */
import { useEffect, useState } from 'react';
import { NAVIGATE_EVENT } from '../routing';
import type { QueueView } from './staffApi';

export type StaffRoute = { view: 'queue'; queue: QueueView } | { view: 'ticket'; ticket: string };

const QUEUE_VIEWS: readonly QueueView[] = ['waiting', 'mine', 'all'];

export function parseStaffRoute(search: string): StaffRoute {
  const params = new URLSearchParams(search);
  const ticket = (params.get('ticket') ?? '').trim();
  if (ticket !== '') return { view: 'ticket', ticket };
  const view = params.get('view') as QueueView | null;
  return { view: 'queue', queue: view !== null && QUEUE_VIEWS.includes(view) ? view : 'waiting' };
}

export function staffHref(route: StaffRoute, pathname: string = window.location.pathname): string {
  if (route.view === 'ticket') return `${pathname}?${new URLSearchParams({ ticket: route.ticket }).toString()}`;
  return route.queue === 'waiting' ? pathname : `${pathname}?view=${route.queue}`;
}

export function useStaffRoute(): StaffRoute {
  const [route, setRoute] = useState(() => parseStaffRoute(window.location.search));
  useEffect(() => {
    const update = () => setRoute(parseStaffRoute(window.location.search));
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return route;
}
