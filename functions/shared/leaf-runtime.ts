import { apiOwnerReader } from './api-owner';
import { type AwsClients, awsClients } from './aws-clients';
import type { LeafConfig } from './env';
import { LeafClient } from './leaf-client';
import { recordLeafCall, recordTokenRenewal } from './metrics';
import { createRequestPacer } from './request-pacer';
import { StatusStore } from './status-store';

/** What every function that talks to Leaf builds once per execution environment. */
export interface LeafRuntime {
  readonly aws: AwsClients;
  readonly leaf: LeafClient;
  readonly store: StatusStore;
}

export const createLeafRuntime = (
  config: LeafConfig,
  aws: AwsClients = awsClients(),
): LeafRuntime => ({
  aws,
  leaf: new LeafClient({
    baseUrl: config.leafApiBaseUrl,
    requestTimeoutMs: config.leafRequestTimeoutMs,
    apiOwner: apiOwnerReader(aws.secrets, config.leafApiOwnerSecretId),
    // One pacer per execution environment, shared by every record and invocation it serves.
    pace:
      config.leafRequestsPerMinute === undefined
        ? undefined
        : createRequestPacer(config.leafRequestsPerMinute),
    // The client reports through hooks so it stays free of the functions' metrics.
    observer: {
      onCall: ({ call, durationMs, status }) => recordLeafCall(call, durationMs, status),
      onTokenIssued: recordTokenRenewal,
    },
  }),
  store: new StatusStore(aws.dynamo, config.statusTableName),
});
