import { useEffect, useRef } from 'react';
import { DEFAULT_API_BASE } from './api';
import { AppLink } from './components/AppLink';
import { StatusChecker } from './components/StatusChecker';
import { SupportForm } from './components/SupportForm';
import { TicketLookup } from './components/TicketLookup';
import { COMPANY_NAME } from './labels';
import { hrefFor, ratingChannelOf, useRoute } from './routing';

export interface AppProps {
  apiBase?: string;
  pollIntervalMs?: number;
  /** Embedded in a company's page: use a labelled region instead of the page's <main>. */
  embedded?: boolean;
}

export function App({ apiBase = DEFAULT_API_BASE, pollIntervalMs, embedded = false }: AppProps) {
  const route = useRoute();
  const rootRef = useRef<HTMLDivElement>(null);
  const routeKey = route.view === 'form' ? 'form' : `${route.view}:${route.ticket}:${route.token}`;
  const firstRender = useRef(true);

  // After in-page navigation, move focus to the new view's heading (not on first load).
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    rootRef.current?.querySelector<HTMLElement>('[data-view-heading]')?.focus();
  }, [routeKey]);

  let view;
  if (route.view === 'status') {
    view = (
      <StatusChecker
        key={routeKey}
        ticketNumber={route.ticket}
        token={route.token}
        apiBase={apiBase}
        ratingChannel={ratingChannelOf(window.location.search)}
        {...(pollIntervalMs !== undefined ? { pollIntervalMs } : {})}
      />
    );
  } else if (route.view === 'lookup') {
    view = <TicketLookup key={routeKey} initialTicket={route.ticket} initialToken={route.token} />;
  } else {
    view = <SupportForm apiBase={apiBase} />;
  }

  const Body = embedded ? 'section' : 'main';
  return (
    <div className="fte" ref={rootRef}>
      <header className="fte__header">
        <AppLink className="fte__brand" href={hrefFor({ view: 'form' })}>
          <span className="fte__logo" aria-hidden="true">
            N
          </span>
          <span>
            {COMPANY_NAME} <span className="fte__brand-sub">Support</span>
          </span>
        </AppLink>
        <nav className="fte__nav" aria-label="Support">
          <AppLink href={hrefFor({ view: 'form' })} aria-current={route.view === 'form' ? 'page' : undefined}>
            New request
          </AppLink>
          <AppLink href={hrefFor({ view: 'lookup', ticket: '', token: '' })} aria-current={route.view !== 'form' ? 'page' : undefined}>
            Check a ticket
          </AppLink>
        </nav>
      </header>
      <Body className="fte__body" {...(embedded ? { 'aria-label': `${COMPANY_NAME} Support` } : {})}>
        {view}
      </Body>
      <footer className="fte__footer">
        <p>{COMPANY_NAME} support answers 24 hours a day, 7 days a week.</p>
      </footer>
    </div>
  );
}
