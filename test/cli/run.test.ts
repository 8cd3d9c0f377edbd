import { runCli } from './cli-harness';

describe('run', () => {
  it('prints the overview and exits 0 when --help is given', async () => {
    // GIVEN
    const args = ['--help'];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: leaf-cnhi <command> [options]');
    expect(result.stdout).toContain('dlq redrive');
  });

  it.each([
    ['enqueue', 'Usage:\n  leaf-cnhi enqueue provision'],
    ['status', 'Usage: leaf-cnhi status'],
    ['audit', 'Usage: leaf-cnhi audit'],
    ['dlq list', 'Usage: leaf-cnhi dlq list'],
    ['dlq redrive', 'Usage: leaf-cnhi dlq redrive'],
  ])('prints the help of %s and exits 0, without any configuration', async (command, usage) => {
    // GIVEN
    const args = [...command.split(' '), '--user', 'not-checked', '--help'];

    // WHEN
    const result = await runCli(args, { env: { LEAF_CNHI_CONFIG: '/nowhere.json' } });

    // THEN
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(usage);
    expect(result.stdout).toContain('Exit status:');
    expect(result.stderr).toBe('');
  });

  it('prints the overview on stderr and exits 2 when no command is given', async () => {
    // GIVEN
    const args: string[] = [];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('Usage: leaf-cnhi <command> [options]');
  });

  it('exits 2 and names the command when the command is unknown', async () => {
    // GIVEN
    const args = ['provision'];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('leaf-cnhi: unknown command "provision"');
    expect(result.stderr).toContain('run leaf-cnhi --help for the commands');
  });

  it('exits 2 and points at the help when an option is unknown', async () => {
    // GIVEN
    const args = ['status', '--usr', '3f2b8c1e-9d4a-4b6e-8f70-1a2b3c4d5e6f'];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--usr'");
    expect(result.stderr).toContain('see leaf-cnhi status --help');
  });

  it('exits 2 when a required option is missing', async () => {
    // GIVEN
    const args = ['audit', '--provider', 'cnhi'];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('leaf-cnhi: give --user');
  });

  it('exits 2 and says which file is missing when the configuration file does not exist', async () => {
    // GIVEN
    const args = ['status', '--config', '/nowhere/leaf-cnhi.json'];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('configuration file /nowhere/leaf-cnhi.json does not exist');
  });

  it('exits 2 when two ways to find the product are given', async () => {
    // GIVEN
    const args = ['dlq', 'list', '--local', '--stack', 'Other'];

    // WHEN
    const result = await runCli(args);

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--local and --stack exclude each other');
  });

  it('exits 2 when LEAF_CNHI_ENV holds neither local nor aws', async () => {
    // GIVEN
    const env = { LEAF_CNHI_ENV: 'staging' };

    // WHEN
    const result = await runCli(['status'], { env });

    // THEN
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('LEAF_CNHI_ENV must be local or aws (given "staging")');
  });
});
