import type { MouseEvent } from 'react';

/**
 * On a submit button's mousedown: keep focus where it is. Otherwise the field being left
 * blurs first, shows its error, the button moves down, and the click lands on nothing.
 * Keyboard and touch submission are unaffected; the submit handler moves focus itself.
 */
export function keepFocusOnPress(event: MouseEvent<HTMLButtonElement>): void {
  event.preventDefault();
}
