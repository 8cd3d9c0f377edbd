import type { LocalEnvironment } from '../../local/local-environment';
import { peekQueue, scanTable } from './aws-inspection';
import { canaryMarker } from './grower-secrets';

/**
 * Every place a secret must never reach, gathered as text: the captured logs, every stored
 * status item, every dead-lettered message (bodies and attributes) and the given answers.
 */
export const gatherExposedText = async (
  env: LocalEnvironment,
  logs: string,
  answers: unknown[] = [],
): Promise<string> => {
  const [items, provisioningDlq, deprovisioningDlq] = await Promise.all([
    scanTable(env.resources.tableName),
    peekQueue(env.resources.provisioningDlqUrl),
    peekQueue(env.resources.deprovisioningDlqUrl),
  ]);

  return [
    logs,
    JSON.stringify(items),
    JSON.stringify(provisioningDlq),
    JSON.stringify(deprovisioningDlq),
    JSON.stringify(answers),
  ].join('\n');
};

/** The canary-bearing fragments found in `text`, for a readable failure. */
export const findCanaries = (text: string): string[] =>
  [...text.matchAll(new RegExp(`.{0,40}${canaryMarker}.{0,40}`, 'g'))].map((match) => match[0]);
