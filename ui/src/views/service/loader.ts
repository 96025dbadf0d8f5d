import { isAbort } from '../../api.js';
import { errorState, loadingState } from '../../components/states.js';
import { replaceChildren } from '../../dom.js';

/**
 * The service view's requests, one at a time per name: a new load of a name aborts the previous
 * one, so a late answer for old filters never overwrites the current one. The loading and error
 * states go into the element the answer will fill.
 */
export interface Loader {
  load<T>(
    name: string,
    host: HTMLElement,
    what: string,
    fetcher: (signal: AbortSignal) => Promise<T>,
    done: (value: T) => void,
  ): void;
  /** Aborts every request under way. */
  abort(): void;
}

/** `retry` is what an error state's Retry button does. */
export function createLoader(retry: () => void): Loader {
  const controllers = new Map<string, AbortController>();
  return {
    load(name, host, what, fetcher, done) {
      controllers.get(name)?.abort();
      const controller = new AbortController();
      controllers.set(name, controller);
      replaceChildren(host, loadingState(what));
      fetcher(controller.signal).then(
        (value) => {
          if (!controller.signal.aborted) done(value);
        },
        (error: unknown) => {
          if (isAbort(error) || controller.signal.aborted) return;
          replaceChildren(host, errorState(what, error, retry));
        },
      );
    },
    abort() {
      for (const controller of controllers.values()) controller.abort();
    },
  };
}
