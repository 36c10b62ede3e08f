import { useState } from 'preact/hooks';
import { explain } from './api.ts';

/**
 * A button's request (retrain, send): busy while it runs, then what came of it in words: the text
 * given for success, or the server's refusal explained (with the role it needs).
 */
export function useAction(needRole = 'analyst') {
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  /** Shows a refusal from a request made outside run (a row's own button), in the same place. */
  const refused = (err: unknown) => setMessage(explain(err, needRole));
  const run = async (work: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      await work();
      setMessage(done);
    } catch (err) {
      refused(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, message, run, refused };
}
