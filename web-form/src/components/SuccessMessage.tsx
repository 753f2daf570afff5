import { useEffect, useRef } from 'react';
import { statusHref } from '../routing';
import { AppLink } from './AppLink';

interface SuccessMessageProps {
  ticketNumber: string;
  accessToken: string;
  name?: string;
  onStartOver?: () => void;
}

export function SuccessMessage({ ticketNumber, accessToken, name, onStartOver }: SuccessMessageProps) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  // Move focus to the confirmation so keyboard and screen-reader users land on it.
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  const href = statusHref(ticketNumber, accessToken);
  const firstName = name?.trim().split(/\s+/)[0];

  return (
    <section className="card card--success" aria-labelledby="fte-success-heading">
      <h1 id="fte-success-heading" className="card__title" tabIndex={-1} ref={headingRef} data-view-heading>
        {firstName ? `Thanks, ${firstName} — we've got your message` : "Thanks — we've got your message"}
      </h1>
      <p>
        Your ticket number is{' '}
        <strong className="ticket-number" data-testid="ticket-number">
          {ticketNumber}
        </strong>
        . Our support assistant usually replies within a few minutes.
      </p>
      <p>
        Follow the conversation and reply on your ticket page. Keep the link: it is the key to your ticket.
      </p>
      <p className="card__actions">
        <AppLink className="button button--primary" href={href} data-testid="status-link">
          View ticket {ticketNumber}
        </AppLink>
        {onStartOver ? (
          <button type="button" className="button button--ghost" onClick={onStartOver}>
            Send another request
          </button>
        ) : null}
      </p>
    </section>
  );
}
