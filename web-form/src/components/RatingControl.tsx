import { useId, useRef, useState, type FormEvent } from 'react';
import { ApiError, NetworkError, GENERIC_ERROR_MESSAGE, NETWORK_ERROR_MESSAGE, postRating, type RatingChannel, type TicketRating } from '../api';
import { SubmitButton } from './SubmitButton';

export const SCORES = [1, 2, 3, 4, 5] as const;

export const SCORE_LABELS: Record<(typeof SCORES)[number], string> = {
  1: 'Poor',
  2: 'Fair',
  3: 'Good',
  4: 'Very good',
  5: 'Excellent',
};

export const CHOOSE_A_SCORE = 'Choose a score from 1 to 5.';

export function thanksFor(score: number): string {
  return `Thank you: you rated our help ${score} out of 5.`;
}

export interface RatingControlProps {
  apiBase: string;
  ticketNumber: string;
  token: string;
  /** Where the customer rates from: this page, or our email's link. */
  channel: RatingChannel;
  /** The rating already given on this channel, if any: shown chosen, and can be changed. */
  given: TicketRating | null;
}

/**
 * The 1–5 rating of a resolved ticket: a native radio group (arrow keys move
 * between the scores, Space chooses) and a submit button, so the rating is only
 * ever sent by the customer's own action, never by a link being opened.
 */
export function RatingControl({ apiBase, ticketNumber, token, channel, given }: RatingControlProps) {
  const idPrefix = useId();
  const [choice, setChoice] = useState<number | null>(given?.score ?? null);
  const [saved, setSaved] = useState<number | null>(given?.score ?? null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const firstRadio = useRef<HTMLInputElement>(null);

  const handleSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    if (choice === null) {
      setError(CHOOSE_A_SCORE);
      firstRadio.current?.focus();
      return;
    }
    setError(null);
    setBusy(true);
    try {
      const rating = await postRating(ticketNumber, token, choice, channel, { apiBase });
      setSaved(rating.score);
    } catch (failure) {
      if (failure instanceof NetworkError) setError(NETWORK_ERROR_MESSAGE);
      else if (failure instanceof ApiError) setError(failure.detail);
      else setError(GENERIC_ERROR_MESSAGE);
    } finally {
      setBusy(false);
    }
  };

  const hintId = `${idPrefix}-hint`;
  const errorId = `${idPrefix}-error`;
  return (
    <form className="form rating" noValidate onSubmit={handleSubmit} data-testid="rating" data-channel={channel}>
      <fieldset
        className="rating__choices"
        aria-describedby={error !== null ? `${hintId} ${errorId}` : hintId}
        aria-invalid={error === CHOOSE_A_SCORE ? true : undefined}
      >
        <legend className="section-title">How did we do?</legend>
        <p id={hintId} className="muted rating__hint">
          Your request is resolved. Rate our help from 1 (poor) to 5 (excellent).
        </p>
        <div className="rating__scale">
          {SCORES.map((score) => (
            <label key={score} className="rating__option">
              <input
                ref={score === SCORES[0] ? firstRadio : undefined}
                type="radio"
                name={`${idPrefix}-score`}
                value={score}
                checked={choice === score}
                onChange={() => setChoice(score)}
              />
              <span className="rating__score">{score}</span>{' '}
              <span className="rating__label">{SCORE_LABELS[score]}</span>
            </label>
          ))}
        </div>
      </fieldset>
      {error !== null ? (
        <div className="alert alert--error" role="alert" id={errorId}>
          {error}
        </div>
      ) : null}
      <p role="status" className="rating__saved" data-testid="rating-saved">
        {saved !== null ? thanksFor(saved) : ''}
      </p>
      <div className="form__actions">
        <SubmitButton label={saved === null ? 'Send rating' : 'Change rating'} busy={busy} />
      </div>
    </form>
  );
}
