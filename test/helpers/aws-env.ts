import { randomUUID } from 'node:crypto';

/** The moto endpoint the global setup exported; throws when a test runs without it. */
export const localAwsEndpoint = (): string => {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) {
    throw new Error(
      'AWS_ENDPOINT_URL is not set: run through jest, whose global setup starts moto',
    );
  }

  return endpoint;
};

/** A resource-name prefix no other test uses, so tests can share one moto server. */
export const uniquePrefix = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;
