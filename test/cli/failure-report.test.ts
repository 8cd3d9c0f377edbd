import { reportFailure } from '../../cli/failure-report';
import type { CliIo, OutputStream } from '../../cli/io';
import { PermanentError } from '../../functions/shared/errors';

const capture = () => {
  const lines: string[] = [];
  const stream: OutputStream = { write: (text: string) => lines.push(text) > 0 };

  return { lines, stream };
};

describe('reportFailure', () => {
  it('names the reason code of a failure of the product itself', () => {
    // GIVEN a failure as the local audit throws it
    const stderr = capture();
    const io: CliIo = { stdout: capture().stream, stderr: stderr.stream, env: {}, cwd: '/' };
    const failure = new PermanentError('LEAF_AUTH_REJECTED', 'Leaf refused the API-owner account');

    // WHEN
    const code = reportFailure(failure, io);

    // THEN
    expect(code).toBe(1);
    expect(stderr.lines.join('')).toBe(
      'leaf-cnhi: LEAF_AUTH_REJECTED: Leaf refused the API-owner account\n',
    );
  });
});
