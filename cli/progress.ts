import type { OutputStream } from './io';

/** Reports how far a long operation has got, on stderr. */
export interface Progress {
  /** `total` may change as it becomes known (a move task counts its messages as it goes). */
  update(done: number, total?: number): void;
  /** Ends the progress display; later updates are ignored. */
  finish(): void;
}

const barWidth = 30;

/**
 * A progress bar that redraws one line on a terminal. Elsewhere (a CI log, a pipe) it writes a
 * plain line at each tenth of the way instead, since carriage returns would pile up there.
 */
export const startProgress = (stream: OutputStream, label: string, total: number): Progress => {
  let known = total;
  let shown = '';
  let lastTenth = -1;
  let finished = false;

  const render = (done: number) => {
    const ratio = known > 0 ? Math.min(1, done / known) : 1;
    if (stream.isTTY) {
      const filled = Math.round(ratio * barWidth);
      const line = `${label} [${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}] ${done}/${known}`;
      if (line !== shown) {
        stream.write(`\r${line}`);
        shown = line;
      }

      return;
    }
    const tenth = Math.floor(ratio * 10);
    if (tenth !== lastTenth) {
      stream.write(`${label}: ${done}/${known} (${Math.round(ratio * 100)}%)\n`);
      lastTenth = tenth;
    }
  };

  return {
    update: (done, newTotal) => {
      if (finished) return;
      known = newTotal ?? known;
      render(done);
    },
    finish: () => {
      if (finished) return;
      finished = true;
      if (stream.isTTY && shown !== '') {
        stream.write('\n');
      }
    },
  };
};
