import { startProgress } from '../../cli/progress';
import { bufferStream } from './cli-harness';

describe('startProgress', () => {
  it('redraws one line on a terminal and ends it with a line break', () => {
    // GIVEN
    const terminal = bufferStream(true);
    const progress = startProgress(terminal, 'sending', 20);

    // WHEN
    progress.update(10);
    progress.update(20);
    progress.finish();

    // THEN
    expect(terminal.text()).toBe(
      `\rsending [${'█'.repeat(15)}${'░'.repeat(15)}] 10/20` +
        `\rsending [${'█'.repeat(30)}] 20/20\n`,
    );
  });

  it('writes a plain line per tenth of the way when the stream is no terminal', () => {
    // GIVEN
    const log = bufferStream(false);
    const progress = startProgress(log, 'redriving provisioning', 100);

    // WHEN
    for (let done = 0; done <= 100; done += 5) {
      progress.update(done);
    }
    progress.finish();

    // THEN
    const lines = log.text().trimEnd().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines.at(-1)).toBe('redriving provisioning: 100/100 (100%)');
  });
});
