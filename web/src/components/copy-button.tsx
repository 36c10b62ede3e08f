import { useState } from 'preact/hooks';

/** Copies text to the clipboard, saying so; where the clipboard is refused, it selects the text to copy by hand. */
export function CopyButton({ text, label = 'Copy', target }: { text: string; label?: string; target?: string }) {
  const [done, setDone] = useState<string | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied');
    } catch {
      const el = target ? document.getElementById(target) : null;
      if (el) {
        const range = document.createRange();
        range.selectNodeContents(el);
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
      }
      setDone('Selected: press Ctrl+C (⌘C) to copy');
    }
    setTimeout(() => setDone(null), 4000);
  }
  return (
    <span class="row">
      <button type="button" onClick={() => void copy()}>{label}</button>
      <span class="small muted" role="status">{done}</span>
    </span>
  );
}
