import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { OutputStream } from '../../cli/io';
import { run } from '../../cli/run';
import type { LocalResources } from '../../local/aws-resources';
import type { LocalEnvironment } from '../../local/local-environment';
import { localAwsEndpoint } from '../helpers/aws-env';

/** What one run of the command printed, and how it ended. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A stream that keeps what is written to it. */
export const bufferStream = (isTTY = false): OutputStream & { text(): string } => {
  let text = '';

  return {
    isTTY,
    write: (chunk: string) => {
      text += chunk;

      return true;
    },
    text: () => text,
  };
};

/**
 * Runs `leaf-cnhi` in this process, with no LEAF_CNHI_* variables unless given, so a developer's
 * own settings cannot leak into a test.
 */
export const runCli = async (
  argv: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliRun> => {
  const stdout = bufferStream();
  const stderr = bufferStream();
  const code = await run(argv, {
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
  });

  return { code, stdout: stdout.text(), stderr: stderr.text() };
};

/** A directory of its own for a test file's configuration and bulk files. */
export const makeWorkDir = (): Promise<string> => mkdtemp(join(tmpdir(), 'leaf-cnhi-cli-'));

export const removeWorkDir = (dir: string | undefined): Promise<void> =>
  dir ? rm(dir, { recursive: true, force: true }) : Promise.resolve();

/** Writes the configuration file that points the command at resources in the test's moto. */
export const writeConfig = async (
  dir: string,
  resources: LocalResources,
  extra: Record<string, unknown> = {},
): Promise<string> => {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  const config = {
    mode: 'local',
    region: 'us-east-1',
    endpoint: localAwsEndpoint(),
    provisioningQueueUrl: resources.provisioningQueueUrl,
    provisioningDeadLetterQueueUrl: resources.provisioningDlqUrl,
    deprovisioningQueueUrl: resources.deprovisioningQueueUrl,
    deprovisioningDeadLetterQueueUrl: resources.deprovisioningDlqUrl,
    statusTableName: resources.tableName,
    ...extra,
  };
  await writeFile(path, JSON.stringify(config));

  return path;
};

/**
 * {@link writeConfig} for a local environment, with the Leaf sandbox and API-owner secret the
 * commands that call Leaf in-process (audit, migrate, webhook) need.
 */
export const writeLeafConfig = (
  dir: string,
  env: Pick<LocalEnvironment, 'resources' | 'sandbox'>,
): Promise<string> =>
  writeConfig(dir, env.resources, {
    leaf: {
      apiBaseUrl: env.sandbox.url,
      apiOwnerSecretId: env.resources.apiOwnerSecretId,
      requestTimeoutMs: 3_000,
    },
  });

/** SQS's count of the messages on a queue, visible or in flight. */
export const queueDepth = async (queueUrl: string): Promise<number> => {
  const sqs = new SQSClient({});
  try {
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );

    return (
      Number(Attributes.ApproximateNumberOfMessages) +
      Number(Attributes.ApproximateNumberOfMessagesNotVisible)
    );
  } finally {
    sqs.destroy();
  }
};
