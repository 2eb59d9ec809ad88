import { useEffect, useState } from 'react';

export type Loaded<T> =
  { status: 'loading' } | { status: 'failed'; message: string } | { status: 'done'; value: T };

/** What `load` answers, loaded again when `key` changes; an unmounted page cancels its request. */
export function useLoaded<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Loaded<T> {
  const [loaded, setLoaded] = useState<{ key: string; state: Loaded<T> }>({
    key,
    state: { status: 'loading' },
  });

  useEffect(() => {
    const controller = new AbortController();
    load(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) setLoaded({ key, state: { status: 'done', value } });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const message = error instanceof Error ? error.message : String(error);
        setLoaded({ key, state: { status: 'failed', message } });
      },
    );
    return () => controller.abort();
    // `load` is a new function each render; `key` says when it asks for something else.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  return loaded.key === key ? loaded.state : { status: 'loading' };
}
