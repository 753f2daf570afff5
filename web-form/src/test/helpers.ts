import { vi, type Mock } from 'vitest';

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export type FetchMock = Mock<(input: RequestInfo | URL, init?: RequestInit) => Promise<Response>>;

/** Replaces global fetch with a mock (undone after each test by `unstubGlobals`). */
export function stubFetch(
  implementation?: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>,
): FetchMock {
  const mock: FetchMock = vi.fn(implementation ?? (() => Promise.reject(new Error('unexpected fetch'))));
  vi.stubGlobal('fetch', mock);
  return mock;
}

export function callUrl(mock: FetchMock, index: number): string {
  const call = mock.mock.calls[index];
  if (!call) throw new Error(`fetch was not called ${index + 1} time(s)`);
  return String(call[0]);
}

export function callInit(mock: FetchMock, index: number): RequestInit {
  const call = mock.mock.calls[index];
  if (!call) throw new Error(`fetch was not called ${index + 1} time(s)`);
  return call[1] ?? {};
}

/** The `Authorization` header a call sent, or undefined. */
export function callAuthorization(mock: FetchMock, index: number): string | undefined {
  const headers = callInit(mock, index).headers as Record<string, string> | undefined;
  return headers?.Authorization;
}

export function callJson(mock: FetchMock, index: number): unknown {
  return JSON.parse(String(callInit(mock, index).body));
}
