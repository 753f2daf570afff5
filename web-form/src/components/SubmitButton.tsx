import type { MouseEvent } from 'react';

interface SubmitButtonProps {
  label: string;
  busy: boolean;
  /** What the button reads while busy. */
  busyLabel?: string;
}

/**
 * The form's submit button: "Sending…" with a spinner and disabled while busy.
 * On mousedown it keeps focus where it is: otherwise the field being left blurs
 * first, shows its error, the button moves down, and the click lands on nothing.
 */
export function SubmitButton({ label, busy, busyLabel = 'Sending…' }: SubmitButtonProps) {
  return (
    <button
      type="submit"
      className="button button--primary"
      onMouseDown={(event: MouseEvent<HTMLButtonElement>) => event.preventDefault()}
      disabled={busy}
      aria-busy={busy}
    >
      {busy ? (
        <>
          <span className="spinner" aria-hidden="true" />
          {busyLabel}
        </>
      ) : (
        label
      )}
    </button>
  );
}
