import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const bin = join(__dirname, '..', '..', 'cli', 'leaf-cnhi.mjs');

describe('leaf-cnhi bin', () => {
  it('starts from another directory and ends with the exit code of the command', async () => {
    // GIVEN a directory outside the repository, as after `npm link`, and a usage error
    const args = ['enqueue', 'provision', '--user', 'not-a-uuid', '--secret', 'leaf/cnhi/x'];

    // WHEN
    const failure = await promisify(execFile)(bin, args, { cwd: tmpdir(), timeout: 20_000 }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );

    // THEN
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('leaf-cnhi: --user: leafUserId must be a UUID');
  });
});
