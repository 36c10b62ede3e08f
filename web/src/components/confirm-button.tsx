import { useState } from 'preact/hooks';

/**
 * A destructive action asked for twice, in place: the first click turns the button into the
 * action spelled out (what exactly will go) beside a way back, so nothing is lost to a stray click.
 */
export function ConfirmButton({ label, confirm, keep, onConfirm }: { label: string; confirm: string; keep: string; onConfirm: () => Promise<void> | void }) {
  const [open, setOpen] = useState(false);
  if (!open) return <button type="button" onClick={() => setOpen(true)}>{label}</button>;
  return (
    <span class="row">
      <button type="button" class="danger" onClick={() => void Promise.resolve(onConfirm()).finally(() => setOpen(false))}>{confirm}</button>
      <button type="button" onClick={() => setOpen(false)}>{keep}</button>
    </span>
  );
}
