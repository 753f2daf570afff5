import { ApiError, GENERIC_ERROR_MESSAGE, NETWORK_ERROR_MESSAGE, NetworkError } from '../api';

/** Called when the API answers 401: the session is gone, back to sign-in. */
export type SignedOutHandler = () => void;

/** What to tell a person when a call failed (other than a 401, which signs them out). */
export function describeProblem(error: unknown): string {
  if (error instanceof NetworkError) return NETWORK_ERROR_MESSAGE;
  if (error instanceof ApiError) return error.detail;
  return GENERIC_ERROR_MESSAGE;
}
