// A one-line progress indicator for long CLI work: rewritten in place on a terminal, a line every
// few seconds otherwise (CI logs), and silent when asked.
export function progress(label: string, total: number | null, quiet = false) {
  const started = Date.now();
  const tty = process.stderr.isTTY;
  let lastPrint = 0;
  const render = (n: number) => {
    const secs = (Date.now() - started) / 1000;
    const pct = total ? ` ${Math.min(100, Math.floor((n / total) * 100))}%` : '';
    return `${label}:${pct} ${n.toLocaleString('en')}${total ? `/${total.toLocaleString('en')}` : ''} (${secs.toFixed(1)} s)`;
  };
  return {
    update(n: number) {
      if (quiet) return;
      const now = Date.now();
      if (now - lastPrint < (tty ? 100 : 5000)) return;
      lastPrint = now;
      process.stderr.write(tty ? `\r${render(n)}\x1b[K` : `${render(n)}\n`);
    },
    done(summary: string) {
      if (quiet) return;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      process.stderr.write(`${tty ? '\r' : ''}${label}: done, ${summary} in ${secs} s${tty ? '\x1b[K' : ''}\n`);
    },
  };
}
