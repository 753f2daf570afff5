import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { callAuthorization, callInit, callJson, callUrl, jsonResponse, stubFetch } from '../test/helpers';
import { CHOOSE_A_SCORE, RatingControl, thanksFor } from './RatingControl';

function rated(score: number, channel = 'web_form') {
  return jsonResponse(200, { rating: { channel, score, rated_at: '2025-03-03T09:00:00Z' } });
}

function renderControl(props: Partial<Parameters<typeof RatingControl>[0]> = {}) {
  return render(
    <RatingControl apiBase="" ticketNumber="TKT-0001" token="tok" channel="web_form" given={null} {...props} />,
  );
}

describe('RatingControl', () => {
  it('offers five scores as one labelled radio group, none chosen', () => {
    renderControl();
    const group = screen.getByRole('group', { name: 'How did we do?' });
    expect(group).toBeInTheDocument();
    const radios = screen.getAllByRole('radio');
    expect(radios).toHaveLength(5);
    expect(radios.map((radio) => radio.getAttribute('value'))).toEqual(['1', '2', '3', '4', '5']);
    expect(screen.getByRole('radio', { name: '5 Excellent' })).not.toBeChecked();
    expect(screen.getByTestId('rating-saved')).toHaveTextContent('');
  });

  it('sends the chosen score with the ticket token and thanks the customer', async () => {
    const fetch = stubFetch(() => Promise.resolve(rated(4)));
    renderControl();
    await userEvent.click(screen.getByRole('radio', { name: '4 Very good' }));
    await userEvent.click(screen.getByRole('button', { name: 'Send rating' }));

    expect(await screen.findByText(thanksFor(4))).toBeInTheDocument();
    expect(callUrl(fetch, 0)).toBe('/api/v1/tickets/TKT-0001/rating');
    expect(callInit(fetch, 0).method).toBe('POST');
    expect(callAuthorization(fetch, 0)).toBe('Bearer tok');
    expect(callJson(fetch, 0)).toEqual({ score: 4, channel: 'web_form' });
    expect(screen.getByRole('button', { name: 'Change rating' })).toBeInTheDocument();
  });

  it('is usable from the keyboard alone: arrows choose, Enter sends', async () => {
    const fetch = stubFetch(() => Promise.resolve(rated(2)));
    renderControl();
    await userEvent.tab();
    expect(screen.getByRole('radio', { name: '1 Poor' })).toHaveFocus();
    await userEvent.keyboard('{ArrowRight}');
    expect(screen.getByRole('radio', { name: '2 Fair' })).toBeChecked();
    await userEvent.keyboard('{Enter}');

    expect(await screen.findByText(thanksFor(2))).toBeInTheDocument();
    expect(callJson(fetch, 0)).toEqual({ score: 2, channel: 'web_form' });
  });

  it('says which channel it rates for when opened from the email link', async () => {
    const fetch = stubFetch(() => Promise.resolve(rated(5, 'email')));
    renderControl({ channel: 'email' });
    await userEvent.click(screen.getByRole('radio', { name: '5 Excellent' }));
    await userEvent.click(screen.getByRole('button', { name: 'Send rating' }));

    expect(await screen.findByText(thanksFor(5))).toBeInTheDocument();
    expect(callJson(fetch, 0)).toEqual({ score: 5, channel: 'email' });
  });

  it('asks for a score instead of sending nothing, and moves focus to the scores', async () => {
    const fetch = stubFetch();
    renderControl();
    await userEvent.click(screen.getByRole('button', { name: 'Send rating' }));

    expect(screen.getByRole('alert')).toHaveTextContent(CHOOSE_A_SCORE);
    expect(screen.getByRole('radio', { name: '1 Poor' })).toHaveFocus();
    expect(fetch).not.toHaveBeenCalled();
  });

  it("shows the server's reason when the rating is refused", async () => {
    stubFetch(() =>
      Promise.resolve(jsonResponse(409, { detail: 'TKT-0001 is not resolved yet: it can be rated once it is' })),
    );
    renderControl();
    await userEvent.click(screen.getByRole('radio', { name: '3 Good' }));
    await userEvent.click(screen.getByRole('button', { name: 'Send rating' }));

    expect(await screen.findByRole('alert')).toHaveTextContent('not resolved yet');
    expect(screen.getByTestId('rating-saved')).toHaveTextContent('');
  });

  it('shows a rating already given as chosen, to be changed', () => {
    renderControl({ given: { channel: 'web_form', score: 3, rated_at: '2025-03-03T09:00:00Z' } });

    expect(screen.getByRole('radio', { name: '3 Good' })).toBeChecked();
    expect(screen.getByTestId('rating-saved')).toHaveTextContent(thanksFor(3));
    expect(screen.getByRole('button', { name: 'Change rating' })).toBeInTheDocument();
  });
});
